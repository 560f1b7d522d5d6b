#!/usr/bin/env bash
# Crash test: the server is killed with SIGKILL while clients write (joins, leaves, presence,
# chat, draws), restarted on the same database, and checked: every acknowledged write is there,
# presence from before the crash is swept offline within the timeout, no session is left in an
# impossible state, and the server starts cleanly again. Then it is stopped with SIGTERM while
# live clients reconnect and requests keep coming: it must exit 0, without a crash.
#
#   Tests/crash/run.sh BINARY [pytest arguments…]
#   ETRANGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/etrange_test?sslmode=disable \
#     Tests/crash/run.sh .build/debug/etrange
#
# Always runs on SQLite (a fresh file in a temporary directory); also on PostgreSQL when
# ETRANGE_TEST_POSTGRES_URL is set, in a fresh schema (ETRANGE_DB_SCHEMA, created by the server,
# dropped here at exit). The test itself starts, kills and restarts the servers (copies of BINARY,
# from a temporary working directory) and writes their pids to a file; this script kills whatever
# is still running at exit, prints the tail of every server log when the run failed, and exits
# with pytest's status (2 when it could not start).
#
# Knobs (environment): ETRANGE_CRASH_ROUNDS (crash/restart rounds per database, default 2),
# ETRANGE_CRASH_SEED (random seed, printed), ETRANGE_CRASH_LOG_LINES (log tail length, 60),
# ETRANGE_STOP_ROUNDS (SIGTERM stops with reconnecting clients per database, default 3),
# ETRANGE_ABANDON_ROUNDS (SIGTERM stops after 2,000 clients hang up, per database, default 6).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/stage.sh"

stage_binary crash "${1:-}"
binary="$1"; shift
for tool in python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool est introuvable." >&2; exit 2; }
done
if [ -n "$admin_url" ] && ! command -v psql >/dev/null; then
  echo "run.sh: psql est introuvable (nécessaire pour PostgreSQL)." >&2
  exit 2
fi

if ! python3 -c 'import pytest, requests, websockets' 2>/dev/null; then
  python3 -m pip install -q pytest requests websockets
fi

work="$(mktemp -d /tmp/etrange-crash.XXXXXX)"
pidfile="$work/servers.pids"
: >"$pidfile"
status=0

show_logs() {
  local log
  for log in "$work"/*/server-*.log; do
    [ -f "$log" ] || continue
    # The request lines (one per call, hundreds) would hide what matters.
    echo "--- journal ${log#"$work/"} (fin, sans les lignes de requêtes ; complet : $log) ---" >&2
    grep -Ev '^\[ INFO \] (GET|POST|PUT|PATCH|DELETE) /' "$log" | tail -n "${ETRANGE_CRASH_LOG_LINES:-60}" >&2 || true
  done
}

cleanup() {
  local code=$?
  set +e
  while read -r pid; do
    [ -n "$pid" ] && stop_server "$pid"
  done <"$pidfile"
  drop_postgres
  if [ "$status" -ne 0 ] || [ "$code" -ne 0 ]; then show_logs; fi
  clear_work "$status" "$code" "journaux et bases"
}
on_exit cleanup

# A copy, so that a rebuild cannot swap the binary under the running servers.
cp "$binary" "$work/etrange"

export ETRANGE_CRASH_BINARY="$work/etrange"
export ETRANGE_CRASH_WORK="$work"
export ETRANGE_CRASH_PIDFILE="$pidfile"
export ETRANGE_CRASH_SQLITE_URL="sqlite://$work/sqlite/etrange.sqlite"
unset ETRANGE_CRASH_POSTGRES_URL ETRANGE_CRASH_PG_SCHEMA
if [ -n "$admin_url" ]; then
  if ! psql_admin -c "SELECT 1" >/dev/null; then
    echo "run.sh: PostgreSQL injoignable à $admin_url" >&2
    status=2
    exit 2
  fi
  schema="crash_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
  echo "run.sh: schéma PostgreSQL de test $schema"
  export ETRANGE_CRASH_POSTGRES_URL="$admin_url"
  export ETRANGE_CRASH_PG_SCHEMA="$schema"
else
  echo "run.sh: ETRANGE_TEST_POSTGRES_URL n'est pas défini : SQLite seulement."
fi

cd "$here/../.."
PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -p no:cacheprovider -s -v -rs "$here/test_crash.py" "$@" \
  || status=$?
exit "$status"
