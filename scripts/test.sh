#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL. Installs what it needs on a fresh Debian
# machine, runs a throwaway PostgreSQL cluster as an unprivileged user, and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
failed=()

log "format: swift format lint --strict with the checked-in .swift-format"
swift format lint --strict --recursive --parallel Sources Tests Benchmarks Package.swift || failed+=("lint")

missing=()
command -v zbarimg >/dev/null || missing+=(zbar-tools)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
[ -f /usr/include/qrencode.h ] || missing+=(libqrencode-dev)
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
[ -f /usr/include/vips/vips.h ] || missing+=(libvips-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v tsc >/dev/null || missing+=(node-typescript)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null || missing+=(openssl)
# Recurring sessions are computed in named time zones (Foundation reads the system's tzdata).
[ -d /usr/share/zoneinfo ] || missing+=(tzdata)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import openapi_spec_validator, selenium, pytest, websockets, requests, icalendar, axe_core_python, recurring_ical_events' 2>/dev/null \
    || python3 -m pip install -q openapi-spec-validator selenium pytest websockets requests icalendar axe-core-python recurring-ical-events

log "starting a throwaway PostgreSQL cluster"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdir=$(mktemp -d /tmp/etrange-pg.XXXXXX)
pgport=${ETRANGE_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if [ "$(id -u)" = 0 ]; then
    chown postgres "$pgdir"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
cleanup() {
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup EXIT
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start \
    -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off" >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres etrange_test
export ETRANGE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pgport/etrange_test?sslmode=disable"

log "checking the OpenAPI document"
python3 scripts/check-openapi.py Sources/App/Resources/openapi.json

swift_log="$pgdir/swift-test.log"

log "swift test (SQLite and PostgreSQL)"
set +e
swift test 2>&1 | tee "$swift_log" | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Write|Wrapping|Linking|Applying)|^warning: |CMakeLists.txt$'
[ "${PIPESTATUS[0]}" = 0 ] || failed+=("swift test")
set -e

log "building the etrange executable"
swift build --product etrange 2>&1 | tail -n 1

# stage NAME WHAT COMMAND…: one stage run against the executable; NAME is listed at the end if it fails.
stage() {
    local name="$1" what="$2"
    shift 2
    log "$what"
    "$@" || failed+=("$name")
}
binary=.build/debug/etrange
stage smoke "a newcomer's first minutes: migrate, seed-demo, serve, demo login" bash Tests/smoke/run.sh "$binary"
stage cli "the command line: typos refused, one-line failures, an install serving from elsewhere, backup under writes, restore" \
    bash Tests/cli/run.sh "$binary"
stage "two instances" "two instances on one PostgreSQL cluster (live events across instances)" bash Tests/multi/run.sh "$binary"
stage client "the JavaScript client (clients/js) against the server, node --test (SQLite and PostgreSQL)" \
    bash Tests/client/run.sh "$binary"
stage proxy "behind a real nginx with deploy/nginx.conf over TLS (redirect, slow heads, connection caps, client addresses and scheme, wss://, invitation links)" \
    bash Tests/proxy/run.sh "$binary"
stage fuzz "fuzzing the API from its OpenAPI document (schemathesis, anonymous and as the MJ)" bash Tests/fuzz/run.sh "$binary"
stage crash "crash safety: SIGKILL under load, restart, nothing acknowledged lost (SQLite and PostgreSQL)" \
    bash Tests/crash/run.sh "$binary"
stage browser "browser story (headless Chromium, an MJ and a player)" env ETRANGE_BINARY="$binary" bash Tests/browser/run.sh

log "summary"
grep -E "Test run with [0-9]+ tests" "$swift_log" | tail -n 1 || true
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "all stages passed"
