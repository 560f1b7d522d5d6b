#!/usr/bin/env bash
# A newcomer's first minutes, on the built binary: `migrate`, `seed-demo`, then `serve` on SQLite
# with no configuration; the printed demo logins must work and the web page must load.
set -euo pipefail
binary=$(realpath "${1:?usage: run.sh BINARY}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/Tests/lib/stage.sh"
work=$(mktemp -d /tmp/etrange-smoke.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "smoke: $*" >&2; [ -f "$work/serve.log" ] && tail -n 30 "$work/serve.log" >&2; exit 1; }

mkdir -p "$work/run" && cp -r "$repo/Public" "$work/run/Public"
cd "$work/run"
export ETRANGE_BCRYPT_COST=4
"$binary" migrate >"$work/migrate.log" 2>&1 || fail "migrate failed: $(cat "$work/migrate.log")"
"$binary" seed-demo >"$work/seed.log" 2>&1 || fail "seed-demo failed: $(cat "$work/seed.log")"
grep -q "armand" "$work/seed.log" || fail "seed-demo printed no logins"
"$binary" seed-demo >/dev/null 2>&1 || fail "seed-demo is not repeatable"
[ -f data/etrange.sqlite ] || fail "no data/etrange.sqlite"

port=$(free_port)
"$binary" serve --port "$port" >"$work/serve.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
wait_for_health "$base" "$pid" "$work/serve.log" || fail "the server did not come up"

token=$(curl -fsS -H 'Content-Type: application/json' -d '{"username":"armand","password":"etrange-demo"}' "$base/api/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') || fail "the demo login failed"
curl -fsS -H "Authorization: Bearer $token" "$base/api/parties" | grep -q "Les Ombres de Carcassonne" || fail "the demo partie is missing"
curl -fsS "$base/" | grep -qi "<html" || fail "the web page did not load"
curl -fsS "$base/openapi.json" | python3 -c 'import json,sys; assert json.load(sys.stdin)["openapi"].startswith("3.1")' || fail "no OpenAPI document"
journal=$(sqlite3 data/etrange.sqlite 'PRAGMA journal_mode;')
[ "$journal" = "wal" ] || fail "SQLite is not in WAL mode ($journal)"
echo "smoke: migrate, seed-demo and serve work; the demo logins sign in"
