#!/usr/bin/env bash
# Two server instances on one PostgreSQL cluster: an event produced on one must reach the live
# sockets of the other, through LISTEN/NOTIFY.
#
#   ETRANGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/etrange_test?sslmode=disable \
#     Tests/multi/run.sh .build/debug/etrange [pytest arguments…]
#
# Makes a fresh database beside the one the URL names (CREATE DATABASE etrange_multi_<random>),
# or, when the role may not create databases, a fresh schema in it (ETRANGE_DB_SCHEMA). Starts the
# binary twice on free loopback ports, one after the other so that their migrations do not race,
# from a temporary working directory; waits for GET /health on both; runs pytest with ETRANGE_A and
# ETRANGE_B; then stops both servers and drops the database or schema, whatever happened. Exits
# with pytest's status (2 when the servers could not be started).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib/stage.sh"

stage_binary multi "${1:-}"
binary="$1"; shift
if [ -z "$admin_url" ]; then
  echo "run.sh: ETRANGE_TEST_POSTGRES_URL doit désigner une base PostgreSQL utilisable (postgres://user@host:port/base)." >&2
  exit 2
fi
for tool in psql curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool est introuvable." >&2; exit 2; }
done

# Python packages the test needs.
if ! python3 -c 'import websockets.sync.client, pytest, requests' 2>/dev/null; then
  python3 -m pip install -q websockets pytest requests
fi

work="$(mktemp -d /tmp/etrange-multi.XXXXXX)"
pids=()
status=0

cleanup() {
  local code=$?
  set +e
  for pid in "${pids[@]}"; do stop_server "$pid"; done
  drop_postgres
  clear_work "$status" "$code" "journaux des serveurs"
}
on_exit cleanup

show_logs() {
  for name in a b; do
    if [ -f "$work/$name.log" ]; then
      echo "--- journal du serveur ${name^^} (fin : $work/$name.log) ---" >&2
      tail -n "${ETRANGE_MULTI_LOG_LINES:-60}" "$work/$name.log" >&2
    fi
  done
}

# A copy, so that a rebuild cannot swap the binary under the running servers.
cp "$binary" "$work/etrange"

# The database both instances share.
fresh_postgres multi

ports=($(python3 - <<'EOF'
import socket
held = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()
EOF
))

start_server() {
  local name="$1" port="$2"
  (
    cd "$work"
    exec env DATABASE_URL="$database_url" ETRANGE_DB_SCHEMA="$schema" ETRANGE_BCRYPT_COST=4 \
      ETRANGE_PUBLIC_DIR="$here/../../Public" \
      ETRANGE_PUBLIC_URL="http://127.0.0.1:$port" LOG_LEVEL="${LOG_LEVEL:-info}" \
      "$work/etrange" serve --hostname 127.0.0.1 --port "$port"
  ) >"$work/$name.log" 2>&1 &
  pids+=($!)
  local pid=$!
  for _ in $(seq 1 300); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      echo "run.sh: instance ${name^^} prête sur http://127.0.0.1:$port (pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: l'instance ${name^^} s'est arrêtée au démarrage." >&2
      show_logs
      return 1
    fi
    sleep 0.2
  done
  echo "run.sh: l'instance ${name^^} ne répond pas sur /health après 60 s." >&2
  show_logs
  return 1
}

# One after the other: both apply the migrations at start.
start_server a "${ports[0]}" || { status=2; exit 2; }
start_server b "${ports[1]}" || { status=2; exit 2; }

cd "$here/../.."
ETRANGE_A="http://127.0.0.1:${ports[0]}" ETRANGE_B="http://127.0.0.1:${ports[1]}" \
  PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -p no:cacheprovider -s -v "$here/test_two_instances.py" "$here/test_handouts.py" "$here/test_partie_changes.py" "$@" \
  || status=$?
for index in 0 1; do
  if ! kill -0 "${pids[$index]}" 2>/dev/null; then
    echo "run.sh: l'instance $([ "$index" = 0 ] && echo A || echo B) s'est arrêtée pendant le test." >&2
    [ "$status" -ne 0 ] || status=1
  fi
done
if [ "$status" -ne 0 ]; then
  show_logs
fi
exit "$status"
