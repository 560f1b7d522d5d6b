#!/usr/bin/env bash
# Runs the browser tests against a fresh server: copies the built binary and its resource bundles
# (so a rebuild cannot swap them mid-run), starts it on 127.0.0.1 with an empty SQLite database,
# waits for /health, runs pytest, then stops the server. Extra arguments go to pytest.
#
#   Tests/browser/run.sh                 # binary: .build/debug/etrange
#   ETRANGE_BINARY=path/to/etrange Tests/browser/run.sh -k story
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/lib/stage.sh

binary="${ETRANGE_BINARY:-.build/debug/etrange}"
port="${ETRANGE_BROWSER_PORT:-18091}"
work="$(mktemp -d /tmp/etrange-browser.XXXXXX)"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$binary" ]; then
  echo "run.sh: $binary est introuvable : construisez le serveur d'abord." >&2
  exit 2
fi
copy_server "$binary" "$work"
# The test's Python packages; axe-core-python ships axe-core, the accessibility checker it injects.
python3 -c 'import selenium, pytest, axe_core_python' 2>/dev/null \
  || python3 -m pip install -q selenium pytest axe-core-python

base="http://127.0.0.1:$port"
# Webhooks may reach the loopback here: the story's own receiver listens on 127.0.0.1. People
# turn idle after 30 s without activity (the least the server takes), looked for every 2 s, so
# that the story can watch a player go idle and come back.
idle_after=30
# The stage's files sign up more people from this one address than an hour's allowance (10): the
# limits are off here, and tested where they are the subject (AccountLimitsTests, LimitsTests).
DATABASE_URL="sqlite://$work/etrange.sqlite" ETRANGE_BCRYPT_COST=4 ETRANGE_PUBLIC_URL="$base" ETRANGE_RATE_LIMITS=off \
  ETRANGE_WEBHOOK_ALLOW_PRIVATE=on ETRANGE_IDLE_AFTER="$idle_after" ETRANGE_SWEEP_INTERVAL=2 \
  "$work/etrange" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "$base/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: le serveur s'est arrêté au démarrage :" >&2
    cat "$work/server.log" >&2
    exit 2
  fi
  sleep 0.2
done

status=0
# The server's own binary and database, for the tests that run a command beside it
# (test_password_reset.py: etrange reset-password).
ETRANGE_BASE_URL="$base" ETRANGE_TEST_IDLE_AFTER="$idle_after" ETRANGE_TEST_BINARY="$work/etrange" \
  ETRANGE_TEST_DATABASE_URL="sqlite://$work/etrange.sqlite" python3 -m pytest -v Tests/browser "$@" || status=$?
if [ "$status" -ne 0 ]; then
  # A server that died leaves its backtrace at the end of a long log: show the end whole.
  lines=40
  if ! kill -0 "$server_pid" 2>/dev/null; then lines=400; fi
  echo "--- journal du serveur (fin) ---" >&2
  tail -n "$lines" "$work/server.log" >&2
  if [ -n "${ETRANGE_KEEP_LOG:-}" ]; then cp "$work/server.log" "$ETRANGE_KEEP_LOG"; fi
fi
exit "$status"
