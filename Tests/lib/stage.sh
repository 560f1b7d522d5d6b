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

# What the stage made there (fresh_postgres, or a stage of its own), for drop_postgres: a database
# or a schema.
database=""
schema=""

# fresh_postgres STAGE: a database of the stage's own beside the one admin_url names
# (etrange_STAGE_<random>) or, when the role may not create databases, a fresh schema in it
# (STAGE_<random>, for ETRANGE_DB_SCHEMA). Sets database or schema, and database_url, the URL
# the servers are to use. The stage's cleanup calls drop_postgres, whatever happened.
fresh_postgres() {
    local stage="$1" suffix
    suffix="$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
    if psql_admin -c "CREATE DATABASE \"etrange_${stage}_$suffix\"" 2>"$work/createdb.err"; then
        database="etrange_${stage}_$suffix"
        database_url="$(python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1])._replace(path="/" + sys.argv[2]).geturl())' \
            "$admin_url" "$database")"
        echo "run.sh: base de test $database"
    else
        echo "run.sh: CREATE DATABASE refusé ($(tr '\n' ' ' <"$work/createdb.err")) : un schéma neuf dans la base donnée à la place." >&2
        schema="${stage}_$suffix"
        database_url="$admin_url"
        echo "run.sh: schéma de test $schema"
    fi
}

# drop_postgres: drops the stage's database or schema (FORCE needs PostgreSQL 13; before it, the
# sessions still open are ended first). A schema's objects go with it, without a notice each.
drop_postgres() {
    if [ -n "$database" ]; then
        psql_admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" 2>/dev/null \
            || psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$database'" \
                -c "DROP DATABASE IF EXISTS \"$database\"" >/dev/null \
            || echo "run.sh: la base $database n'a pas pu être supprimée." >&2
    fi
    if [ -n "$schema" ]; then
        psql_admin -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null \
            || echo "run.sh: le schéma $schema n'a pas pu être supprimé." >&2
    fi
}

# on_exit FUNCTION: runs FUNCTION when the stage exits, Ctrl-C (130) and SIGTERM (143) included.
on_exit() {
    trap "$1" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# clear_work STATUS CODE WHAT: from the stage's exit function, with the stage's status and the
# exit code: removes $work when both are 0; else keeps it for WHAT it holds (said on stderr),
# without the server's copy.
clear_work() {
    if [ "$1" -eq 0 ] && [ "$2" -eq 0 ]; then
        rm -rf "$work"
    else
        rm -f "$work/etrange"
        echo "run.sh: $3 gardés dans $work" >&2
    fi
}

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
