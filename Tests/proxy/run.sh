#!/usr/bin/env bash
# The server behind a real nginx, with the file the README tells hosts to install
# (deploy/nginx.conf), changed only where a test must: the ports, the certificate, the folders.
#
#   Tests/proxy/run.sh BINARY [pytest arguments…]      # e.g. Tests/proxy/run.sh .build/debug/etrange
#
# Makes a certificate authority and a certificate for 127.0.0.1 signed by it (openssl, in a
# temporary folder); installs BINARY there with scripts/install.sh and starts it as the example
# systemd unit does (deploy/etrange.service, checked by systemd-analyze when there is one: its
# ExecStart, from a folder of its own), on a free loopback port, with the example settings
# (deploy/etrange.env: a fresh SQLite database, ETRANGE_TRUSTED_PROXIES=127.0.0.1,
# ETRANGE_PUBLIC_URL set to nginx's HTTPS address, a metrics token); then nginx (as a foreground
# process with a configuration of its own in the temporary folder) on two other free ports in
# front of it, plain HTTP and HTTPS; and runs Tests/proxy/test_proxy.py with ETRANGE_DIRECT,
# ETRANGE_PROXY (HTTPS), ETRANGE_PROXY_HTTP, ETRANGE_CA, ETRANGE_ACME_DIR, ETRANGE_PROXY_LOG,
# ETRANGE_SERVER_LOG and ETRANGE_METRICS_TOKEN. Clients reach nginx from several loopback
# addresses (127.0.0.2, 127.0.0.3…) to be told apart. Exits with pytest's status (2 when the
# servers could not be started).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/lib/stage.sh

stage_binary proxy "${1:-}"
binary="$1"; shift
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "proxy: nginx is missing (apt-get install nginx)." >&2; exit 2; }
command -v openssl >/dev/null || { echo "proxy: openssl is missing (apt-get install openssl)." >&2; exit 2; }

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
http_port=$(free_port)
https_port=$(free_port)

# A certificate authority of the test's own, and nginx's certificate for 127.0.0.1 signed by it:
# clients trust that authority only, as browsers trust theirs.
tls="$work/tls"
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=Etrange test CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/privkey.pem" -out "$tls/server.csr" 2>/dev/null
printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "authorityKeyIdentifier=keyid,issuer" "subjectKeyIdentifier=hash" >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/server.ext" -out "$tls/cert.pem" 2>/dev/null
cat "$tls/cert.pem" "$tls/ca.pem" >"$tls/fullchain.pem"
chmod 644 "$tls"/*.pem
mkdir -p "$work/www/.well-known/acme-challenge"
chmod -R 755 "$work/www"

# The server as the example unit starts it (deploy/etrange.service's ExecStart), with the example
# settings (deploy/etrange.env): their paths, address and port changed.
if command -v systemd-analyze >/dev/null; then
    sed -e "s|^ExecStart=/usr/local/bin/etrange |ExecStart=$(command -v true) |" \
        deploy/etrange.service >"$work/etrange.service"
    systemd-analyze verify "$work/etrange.service" \
        || { echo "proxy: systemd-analyze finds deploy/etrange.service wrong." >&2; status=2; exit 2; }
fi
serve_arguments=$(sed -n "s|^ExecStart=/usr/local/bin/etrange ||p" deploy/etrange.service)
[[ "$serve_arguments" == *"--port 8080"* ]] \
    || { echo "proxy: deploy/etrange.service no longer starts /usr/local/bin/etrange … --port 8080." >&2; status=2; exit 2; }
serve_arguments=${serve_arguments/--port 8080/--port $app_port}
sed -e "s|/var/lib/etrange/|$work/state/|" -e "s|https://jeu.example.fr|https://127.0.0.1:$https_port|" \
    deploy/etrange.env >"$work/etrange.env"
metrics_token=$(sed -n "s|^ETRANGE_METRICS_TOKEN=||p" "$work/etrange.env")
# Installed as README tells hosts to (scripts/install.sh, PREFIX/bin and PREFIX/share/etrange), and
# started from its state folder as the unit's WorkingDirectory, far from the repository's Public/.
bash scripts/install.sh --binary "$binary" "$work/prefix" >/dev/null
mkdir -p "$work/state"
# shellcheck disable=SC2086 # the unit's arguments, split as systemd splits them
(cd "$work/state" && set -a && source "$work/etrange.env" && set +a \
    && ETRANGE_BCRYPT_COST=4 ETRANGE_WEBHOOK_DELIVERY=off exec "$work/prefix/bin/etrange" $serve_arguments) \
    >"$work/server.log" 2>&1 &
server_pid=$!

# The shipped file, with the test's ports, certificate and folders; no IPv6 listener, which a
# container may lack.
sed -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
    -e "/listen \[::\]:/d" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$app_port;|" \
    -e "s|/etc/letsencrypt/live/jeu.example.fr/|$tls/|" \
    -e "s|https://\$host\$request_uri|https://\$host:$https_port\$request_uri|" \
    -e "s|root /var/www/html;|root $work/www;|" \
    -e "s|/var/log/nginx/|$work/|" \
    deploy/nginx.conf >"$work/etrange.conf"
for line in "listen 127.0.0.1:$http_port;" "listen 127.0.0.1:$https_port ssl;" "server 127.0.0.1:$app_port;" \
    "ssl_certificate $tls/fullchain.pem;" "ssl_certificate_key $tls/privkey.pem;" \
    "return 301 https://\$host:$https_port\$request_uri;" "root $work/www;"; do
    grep -qF "$line" "$work/etrange.conf" \
        || { echo "proxy: deploy/nginx.conf no longer has the line this stage rewrites into: $line" >&2; status=2; exit 2; }
done
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

export CURL_CA_BUNDLE="$tls/ca.pem"
wait_for_health "http://127.0.0.1:$app_port" "$server_pid" "$work/server.log" \
    && wait_for_health "https://127.0.0.1:$https_port" "$nginx_pid" "$work/error.log" \
    || { status=2; exit 2; }

set +e
ETRANGE_DIRECT="http://127.0.0.1:$app_port" ETRANGE_PROXY="https://127.0.0.1:$https_port" \
    ETRANGE_PROXY_HTTP="http://127.0.0.1:$http_port" ETRANGE_CA="$tls/ca.pem" \
    ETRANGE_ACME_DIR="$work/www/.well-known/acme-challenge" \
    ETRANGE_PROXY_LOG="$work/etrange.access.log" ETRANGE_SERVER_LOG="$work/server.log" \
    ETRANGE_METRICS_TOKEN="$metrics_token" \
    python3 -m pytest -q -p no:cacheprovider Tests/proxy/test_proxy.py "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 60 lines)"; tail -n 60 "$work/server.log"
    echo "--- nginx error log (last 40 lines)"; tail -n 40 "$work/error.log"
fi
exit "$status"
