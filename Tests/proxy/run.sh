#!/usr/bin/env bash
# The server behind a real nginx, with the file the README tells hosts to install
# (deploy/nginx/etrange.conf), changed only where a test must: the ports, the log folder.
#
#   Tests/proxy/run.sh BINARY [pytest arguments…]      # e.g. Tests/proxy/run.sh .build/debug/etrange
#
# Starts BINARY on a free loopback port with a fresh SQLite database and
# ETRANGE_TRUSTED_PROXIES=127.0.0.1, then nginx (as a foreground process with a configuration of
# its own in a temporary folder) on another free port in front of it, and runs
# Tests/proxy/test_proxy.py with ETRANGE_DIRECT, ETRANGE_PROXY and ETRANGE_PROXY_LOG. Clients
# reach nginx from several loopback addresses (127.0.0.2, 127.0.0.3…) to be told apart.
# Exits with pytest's status (2 when the servers could not be started).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/lib/stage.sh

stage_binary proxy "${1:-}"
binary="$1"; shift
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "proxy: nginx is missing (apt-get install nginx)." >&2; exit 2; }

work="$(mktemp -d /tmp/etrange-proxy.XXXXXX)"
# nginx's workers drop to `nobody` when started as root: they must reach the temporary files.
chmod 755 "$work"
server_pid=""
nginx_pid=""
status=0
cleanup() {
    for pid in "$nginx_pid" "$server_pid"; do
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "proxy: kept $work"; fi
}
trap cleanup EXIT

app_port=$(free_port)
proxy_port=$(free_port)

copy_server "$binary" "$work"
DATABASE_URL="sqlite://$work/etrange.sqlite" ETRANGE_BCRYPT_COST=4 ETRANGE_PUBLIC_URL="http://127.0.0.1:$proxy_port" \
    ETRANGE_TRUSTED_PROXIES=127.0.0.1 ETRANGE_WEBHOOK_DELIVERY=off \
    "$work/etrange" serve --hostname 127.0.0.1 --port "$app_port" >"$work/server.log" 2>&1 &
server_pid=$!

# The shipped file, with the test's ports and log folder.
sed -e "s|listen 80;|listen 127.0.0.1:$proxy_port;|" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$app_port;|" \
    -e "s|/var/log/nginx/|$work/|" \
    deploy/nginx/etrange.conf >"$work/etrange.conf"
grep -q "listen 127.0.0.1:$proxy_port;" "$work/etrange.conf" && grep -q "server 127.0.0.1:$app_port;" "$work/etrange.conf" \
    || { echo "proxy: deploy/nginx/etrange.conf no longer has the lines this stage rewrites." >&2; status=2; exit 2; }
cat >"$work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/etrange.conf;
}
CONF
"$nginx_bin" -t -p "$work" -c "$work/nginx.conf" 2>"$work/nginx-check.log" \
    || { cat "$work/nginx-check.log" >&2; status=2; exit 2; }
"$nginx_bin" -p "$work" -c "$work/nginx.conf" 2>>"$work/error.log" &
nginx_pid=$!

wait_for_health "http://127.0.0.1:$app_port" "$server_pid" "$work/server.log" \
    && wait_for_health "http://127.0.0.1:$proxy_port" "$nginx_pid" "$work/error.log" \
    || { status=2; exit 2; }

set +e
ETRANGE_DIRECT="http://127.0.0.1:$app_port" ETRANGE_PROXY="http://127.0.0.1:$proxy_port" \
    ETRANGE_PROXY_LOG="$work/etrange.access.log" \
    python3 -m pytest -q -p no:cacheprovider Tests/proxy/test_proxy.py "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 60 lines)"; tail -n 60 "$work/server.log"
    echo "--- nginx error log (last 40 lines)"; tail -n 40 "$work/error.log"
fi
exit "$status"
