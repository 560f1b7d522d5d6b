# What the stages' run.sh scripts share; sourced by them, never run on its own.

# stage_binary STAGE PATH: stops the stage (exit 2) unless PATH is an executable server.
stage_binary() {
    local stage="$1" binary="${2:-}"
    if [ -z "$binary" ]; then
        echo "usage: Tests/$stage/run.sh BINARY [arguments…]" >&2
        exit 2
    fi
    if [ ! -x "$binary" ]; then
        echo "$stage: $binary is missing or not executable: build the server first." >&2
        exit 2
    fi
}

# free_port: a loopback port nobody listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# copy_server BINARY DIR: copies the server and its resource bundles (the OpenAPI document is
# one; SwiftPM's Bundle.module looks beside the executable first) into DIR, so that a rebuild
# in .build cannot swap either under a running test.
copy_server() {
    local binary="$1" dir="$2" bundle
    cp "$binary" "$dir/etrange"
    for bundle in "$(dirname "$binary")"/*.resources; do
        if [ -d "$bundle" ]; then cp -R "$bundle" "$dir/"; fi
    done
}

# wait_for_health URL PID LOG...: waits up to 30 s for URL/health; fails (status 1), printing the
# tail of each LOG, when it never answers or when process PID stops first.
wait_for_health() {
    local url="$1" pid="$2" log
    shift 2
    for _ in $(seq 1 150); do
        if curl -fsS --max-time 2 "$url/health" >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        sleep 0.2
    done
    echo "$url/health never answered; the end of the logs:" >&2
    for log in "$@"; do tail -n 40 "$log" >&2; done
    return 1
}

# The PostgreSQL server the stages may use, empty when the test command gives none.
admin_url="${ETRANGE_TEST_POSTGRES_URL:-}"

# psql_admin ARGUMENTS…: psql on it, stopping at the first error.
psql_admin() { psql "$admin_url" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# stop_server PID: SIGTERM, then SIGKILL after 10 s, to a server the stage started from its copy
# ($work/etrange), and only while PID still is one: a pid may have been reused since.
stop_server() {
    local pid="$1" exe
    kill -0 "$pid" 2>/dev/null || return 0
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    case "$exe" in
        "$work/etrange"*) ;;
        *) return 0 ;;
    esac
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: le serveur $pid ne s'arrête pas : SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
