#!/usr/bin/env bash
# The JavaScript client (clients/js) against the real server: `node --test` on clients/js/test,
# first on SQLite, then on PostgreSQL when ETRANGE_TEST_POSTGRES_URL is set (a fresh database
# beside the one it names, or a fresh schema in it when the role may not create databases).
#
#   Tests/client/run.sh .build/debug/etrange [node --test arguments…]
#
# For each database: copies the server into a temporary directory, runs `etrange migrate`, starts
# `etrange serve` on a free loopback port and runs the suite with ETRANGE_URL. The suite restarts
# the server itself (to drop the live sockets) from the same environment, writing the new pid to
# ETRANGE_CLIENT_PIDFILE; the server named there is stopped at the end, whatever happened.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
source "$here/../lib/stage.sh"

stage_binary client "${1:-}"
binary="$(realpath "$1")"; shift
for tool in node curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool est introuvable." >&2; exit 2; }
done

if ! node --experimental-websocket --no-warnings=ExperimentalWarning -e 'new URL("ws://x"); if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null; then
  echo "run.sh: il faut Node 20.10 ou plus (WebSocket global avec --experimental-websocket) ; trouvé $(node --version)." >&2
  exit 2
fi

work="$(mktemp -d /tmp/etrange-client.XXXXXX)"
status=0
pidfile="$work/server.pid"

stop_current() {
  if [ -f "$pidfile" ]; then stop_server "$(cat "$pidfile")"; rm -f "$pidfile"; fi
}

cleanup() {
  local code=$?
  set +e
  stop_current
  drop_postgres
  clear_work "$status" "$code" "journaux du serveur"
}
on_exit cleanup

# A copy, so that a rebuild cannot swap the binary under the running server.
copy_server "$binary" "$work"

# run_suite NAME: migrates and serves the database the environment names, runs the suite.
run_suite() {
  local name="$1" port pid
  shift
  port="$(free_port)"
  mkdir -p "$work/$name"
  export ETRANGE_BCRYPT_COST=4 ETRANGE_RATE_LIMITS=off ETRANGE_LIVE_MAX_SOCKETS_PER_SESSION=2 ETRANGE_PUBLIC_DIR="$repo/Public"
  export ETRANGE_PUBLIC_URL="http://127.0.0.1:$port"
  (cd "$work/$name" && "$work/etrange" migrate) >"$work/$name/migrate.log" 2>&1 \
    || { echo "run.sh: migrate a échoué ($name) :" >&2; tail -n 30 "$work/$name/migrate.log" >&2; return 2; }
  (cd "$work/$name" && exec "$work/etrange" serve --hostname 127.0.0.1 --port "$port") >>"$work/$name/server.log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_for_health "http://127.0.0.1:$port" "$pid" "$work/$name/server.log" || return 2
  echo "run.sh: serveur prêt sur http://127.0.0.1:$port ($name, pid $pid)"
  local suite=0
  (
    cd "$repo/clients/js"
    ETRANGE_URL="http://127.0.0.1:$port" ETRANGE_CLIENT_PIDFILE="$pidfile" \
      ETRANGE_CLIENT_SERVER="$work/etrange" ETRANGE_CLIENT_WORKDIR="$work/$name" \
      ETRANGE_CLIENT_PORT="$port" ETRANGE_CLIENT_DATABASE="$name" \
      node --experimental-websocket --no-warnings=ExperimentalWarning --test --test-concurrency=1 "$@" test/*.test.js
  ) || suite=$?
  stop_current
  if [ "$suite" -ne 0 ]; then
    echo "--- journal du serveur ($name, fin) ---" >&2
    tail -n 40 "$work/$name/server.log" >&2
  fi
  return "$suite"
}

echo "run.sh: SQLite"
(unset DATABASE_URL ETRANGE_DB_SCHEMA; run_suite sqlite "$@") || status=$?

if [ -z "$admin_url" ]; then
  echo "run.sh: ETRANGE_TEST_POSTGRES_URL n'est pas défini : PostgreSQL n'est pas essayé (SQLite seulement)." >&2
  exit "$status"
fi
command -v psql >/dev/null || { echo "run.sh: psql est introuvable." >&2; exit 2; }

fresh_postgres client
echo "run.sh: PostgreSQL"
(export DATABASE_URL="$database_url" ETRANGE_DB_SCHEMA="$schema"; run_suite postgres "$@") || status=$?
exit "$status"
