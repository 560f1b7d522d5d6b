#!/usr/bin/env bash
# Fuzzes a live server from its own OpenAPI document with schemathesis (PyPI).
#
#   Tests/fuzz/run.sh BINARY            # e.g. Tests/fuzz/run.sh .build/debug/etrange
#
# Copies BINARY and its resource bundles (the OpenAPI document is one) to a temporary folder, so
# that a rebuild cannot swap them mid-run, starts it on a free 127.0.0.1 port with a fresh SQLite
# database (working directory: the repository, for Public/), waits for /health, seeds it through
# the API (Tests/fuzz/seed.py: an MJ, a player, a scenario, a partie the player joined,
# characters, a started session the player is seated in, and a sacrificial one for
# end/cancel/delete), fetches GET /openapi.json, and runs schemathesis twice against it:
#   - anonymous, every operation of the document;
#   - as the MJ (Authorization: Bearer), every operation but POST /api/auth/logout, which would
#     revoke the token of the run (it is fuzzed in the anonymous run). POST /api/auth/password
#     stays: the MJ's password is random, so it is only ever refused; the token is checked
#     (GET /api/me) once the run is over.
# Path, query and body ids are bound to the seeded ones with probability 0.8 (schemathesis
# dictionaries, written by seed.py), generated otherwise.
# Checks: not_a_server_error, status_code_conformance, content_type_conformance,
# response_headers_conformance, response_schema_conformance. Any failure, any error, or fewer
# than FUZZ_MIN_CASES generated cases in all fails the stage; each distinct failure is printed
# with a request showing it (Tests/fuzz/summarize.py).
#
# The WebSocket operation GET /api/sessions/{id}/live stays in: schemathesis sends it as plain
# HTTP (no Upgrade), which the document answers with its 4xx responses; 101 is never expected.
#
# Environment (all optional):
#   FUZZ_MAX_EXAMPLES  cases per operation in the fuzzing phase (default 25)
#   FUZZ_SEED          schemathesis seed (default 20250120): same seed, same generated cases
#   FUZZ_MIN_CASES     least number of generated cases across both runs (default 1000)
#   FUZZ_WORKERS       concurrent schemathesis workers (default 1, for reproducible ordering)
#   FUZZ_KEEP          keep the temporary folder (reports, server log) when set to 1
# Pinned: schemathesis 4.32.5 (installed with pip when missing or another version).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/lib/stage.sh

SCHEMATHESIS_VERSION=4.32.5
max_examples="${FUZZ_MAX_EXAMPLES:-25}"
seed="${FUZZ_SEED:-20250120}"
min_cases="${FUZZ_MIN_CASES:-1000}"
workers="${FUZZ_WORKERS:-1}"

stage_binary fuzz "${1:-}"
binary="$1"

installed=$(python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null || true)
if [ "$installed" != "$SCHEMATHESIS_VERSION" ]; then
    echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION (found: ${installed:-none})"
    python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d /tmp/etrange-fuzz.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${FUZZ_KEEP:-0}" = 1 ]; then echo "fuzz: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
copy_server "$binary" "$work"

port=$(free_port)
base="http://127.0.0.1:$port"
# The working directory stays the repository, whose Public/ holds the page GET / serves.
# Webhooks stay queued: the fuzzer configures URLs of its own invention, and only loopback may be
# the target of a test.
DATABASE_URL="sqlite://$work/etrange.sqlite" ETRANGE_BCRYPT_COST=4 ETRANGE_PUBLIC_URL="$base" ETRANGE_WEBHOOK_DELIVERY=off \
    "$work/etrange" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!

wait_for_health "$base" "$server_pid" "$work/server.log" || exit 2

python3 Tests/fuzz/seed.py "$base" "$work" >/dev/null
mj_token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["mj"]["token"])' "$work/seed.json")
# The document under test is the one the live server serves. It is read from a file so that
# schemathesis also tests GET /openapi.json itself (it leaves out the URL it loaded from).
curl -fsS "$base/openapi.json" -o "$work/openapi.json"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

fuzz() {  # NAME [schemathesis options...]
    local name=$1
    shift
    echo "== schemathesis: $name (seed $seed, $max_examples examples per operation)"
    # Run from the temporary folder: whatever schemathesis writes lands there.
    (cd "$work" && python3 -m schemathesis.cli --config-file "$work/schemathesis.toml" run "$work/openapi.json" \
        --url "$base" --checks "$checks" --max-examples "$max_examples" --seed "$seed" \
        --workers "$workers" --generation-database none --no-color --request-timeout 30 \
        --report ndjson --report-ndjson-path "$work/$name.ndjson" "$@" >"$work/$name.log" 2>&1)
    local status=$?
    sed -n '/^=* SUMMARY =*$/,$p' "$work/$name.log"
    if [ "$status" -ne 0 ] && ! grep -q '^=* SUMMARY =*$' "$work/$name.log"; then
        cat "$work/$name.log"
    fi
    return "$status"
}

started=$(date +%s)
status=0
fuzz anonymous || status=1
fuzz authenticated -H "Authorization: Bearer $mj_token" --exclude-operation-id logout || status=1
echo "fuzz: both runs took $(( $(date +%s) - started )) s"

# The authenticated run means something only if its token lived to the end.
me=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $mj_token" "$base/api/me" || true)
if [ "$me" != 200 ]; then
    echo "fuzz: the MJ's token no longer works after the authenticated run (GET /api/me: $me)" >&2
    status=1
fi

python3 Tests/fuzz/summarize.py "$min_cases" anonymous="$work/anonymous.ndjson" \
    authenticated="$work/authenticated.ndjson" || status=1

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "fuzz: the server died during the run" >&2
    status=1
fi
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$work/server.log" >&2
    echo "fuzz: FAILED"
else
    echo "fuzz: passed"
fi
exit "$status"
