#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md, run by hand (too long for CI): builds the server and the load
# tool in release, starts a throwaway PostgreSQL cluster if none answers, then on SQLite and on
# PostgreSQL seeds sessions through the API, measures the API against /health, holds the live
# connections (density) and fans chat and draws out to them; on PostgreSQL the fan-out runs again
# over two instances. Results land in artifacts/bench/ (JSON) and the table is printed at the end.
# First of all it measures SQLite's own ceiling for a chat line's rows on this disk
# (Benchmarks/sqlite-ceiling, artifacts/bench/ceiling.json), so that the write rates of the run
# are read as ratios to a limit measured beside them (issue #29).
# The servers run with ETRANGE_IDLE_AFTER=3600: the seeded people never touch their screens, and
# otherwise the sweeper would announce 17,000 of them idle during the hold (measured: 0.7 core
# spent on it, counted as "at rest").
#
# Knobs (environment): BENCH_CONNECTIONS (19600: 2,800 sessions of 7, the most that fits the
# 20,000 file descriptors of one server process), BENCH_HOLD (60 s), BENCH_RATE (100 msg/s: half of what
# this 2-core box carries with the server, the database and the load tool on it; see BENCHMARKS.md),
# BENCH_DURATION (60 s), BENCH_DRAW_EVERY (10: one message in ten is a draw), BENCH_WORKERS (3),
# BENCH_WRITE_RATES ("1000 2000": chat lines a second with no one else online, #29),
# BENCH_BACKENDS ("sqlite postgres"), BENCH_API_SECONDS (10), BENCH_PG_PORT (54500), BENCH_SWEEP
# (empty: more total rates for the one-instance fan-out, each on a fresh server, e.g. "250 1000").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/artifacts/bench
CONNECTIONS=${BENCH_CONNECTIONS:-19600}
SESSIONS=$((CONNECTIONS / 7))
HOLD=${BENCH_HOLD:-60}
RATE=${BENCH_RATE:-100}
DURATION=${BENCH_DURATION:-60}
DRAW_EVERY=${BENCH_DRAW_EVERY:-10}
WRITE_RATES=${BENCH_WRITE_RATES:-1000 2000}
WORKERS=${BENCH_WORKERS:-3}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
API_SECONDS=${BENCH_API_SECONDS:-10}
PG_PORT=${BENCH_PG_PORT:-54500}
SWEEP=${BENCH_SWEEP:-}
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=/tmp/benchpg
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/etrange_bench?sslmode=disable"
SERVER=$ROOT/.build-release/release/etrange
LOAD=$ROOT/Benchmarks/.build/release/etrange-load
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }

say "building the server and the load tool (release)"
swift build -c release --scratch-path .build-release --product etrange
swift build -c release --package-path Benchmarks

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
for cmd in $PG_BIN/pg_ctl python3 curl; do command -v "$cmd" >/dev/null || { echo "$cmd is needed" >&2; exit 1; }; done

SERVER_PIDS=()
stop_servers() {
    for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVER_PIDS=()
}
trap stop_servers EXIT

# start_server NAME PORT DATABASE_URL: one instance in the background, quiet, limits lifted.
start_server() {
    local name=$1 port=$2 url=$3
    # The server's own pool sizes unless ETRANGE_DB_POOL says otherwise (BENCHMARKS.md, "SQLite").
    env ${ETRANGE_DB_POOL:+ETRANGE_DB_POOL=$ETRANGE_DB_POOL} DATABASE_URL=$url ETRANGE_BCRYPT_COST=4 ETRANGE_RATE_LIMITS=off ETRANGE_PRESENCE_TIMEOUT=3600 ETRANGE_IDLE_AFTER=3600 \
        ETRANGE_LIVE_QUEUE=${ETRANGE_LIVE_QUEUE:-256} \
        "$SERVER" serve --hostname 127.0.0.1 --port "$port" --log warning >"$OUT/server-$name-$port.log" 2>&1 &
    SERVER_PIDS+=($!)
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "server $name on $port did not start; see $OUT/server-$name-$port.log" >&2
    exit 1
}

ensure_postgres() {
    if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        say "starting a throwaway PostgreSQL 15 cluster in $PG_DIR on port $PG_PORT"
        mkdir -p "$PG_DIR" && chown postgres "$PG_DIR"
        [ -d "$PG_DIR/data" ] || runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync >/dev/null
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
            -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400" >/dev/null
    fi
    "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres --if-exists etrange_bench
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres etrange_bench
}

# one_instance BACKEND RATE LABEL OUT: density, then fan-out at RATE, on the server started last.
one_instance() {
    "$LOAD" run --seed "$OUT/seed-$1.json" --targets 127.0.0.1:8080 --server-pids "${SERVER_PIDS[0]}" \
        --workers "$WORKERS" --connections "$CONNECTIONS" --hold "$HOLD" --rate "$2" --duration "$DURATION" \
        --draw-every "$DRAW_EVERY" --label "$3" --out "$4" >/dev/null
}

# Notes what else the machine was doing, next to each measurement.
note_load() { echo "$(date -u +%FT%TZ) $1: loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.log"; }

touch "$OUT/machine.log"
say "SQLite's ceiling for a chat line's rows (the server's SQLite, no server)"
note_load "sqlite ceiling"
CEILING_SQLITE=nio "$ROOT/Benchmarks/sqlite-ceiling/run.sh" "$OUT/ceiling.json" >/dev/null
{ echo "date: $(date -u +%FT%TZ)"; echo "kernel: $(uname -r)"; echo "cores: $(nproc)";
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"; echo "swift: $(swift --version 2>&1 | head -1)";
  echo "fd limit: $(ulimit -n)"; echo "connections: $CONNECTIONS; rate: $RATE msg/s for $DURATION s; hold: $HOLD s"; } >"$OUT/machine.txt"

for backend in $BACKENDS; do
    case $backend in
        sqlite) rm -f "$OUT"/etrange.sqlite*; url="sqlite://$OUT/etrange.sqlite" ;;
        postgres) ensure_postgres; url=$PG_URL ;;
        *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    say "$backend: seeding $SESSIONS sessions"
    start_server "$backend" 8080 "$url"
    "$LOAD" seed --target 127.0.0.1:8080 --sessions "$SESSIONS" --out "$OUT/seed-$backend.json"

    say "$backend: API against /health"
    note_load "$backend api"
    "$LOAD" api --seed "$OUT/seed-$backend.json" --target 127.0.0.1:8080 --seconds "$API_SECONDS" \
        --label "$backend" --out "$OUT/api-$backend.json" >/dev/null

    # The write path alone (#29): chat lines at a fixed rate from one member of each of the first
    # sessions, no one else online, so no fan-out; POST latency at the rate asked.
    for rate in $WRITE_RATES; do
        say "$backend: chat lines alone at $rate a second"
        note_load "$backend write path at $rate/s"
        "$LOAD" run --seed "$OUT/seed-$backend.json" --targets 127.0.0.1:8080 --server-pids "${SERVER_PIDS[0]}" \
            --workers 1 --connections 100 --online 1 --hold 2 --rate "$rate" --duration 20 --draw-every 0 \
            --label "$backend-write-$rate" --out "$OUT/write-$backend-$rate.json" >/dev/null
    done

    # A fresh process, so the baseline memory is that of a server that has served the API only.
    stop_servers
    start_server "$backend" 8080 "$url"
    say "$backend, one instance: density and fan-out"
    note_load "$backend run 1 instance"
    one_instance "$backend" "$RATE" "$backend-1" "$OUT/run-$backend-1.json"
    stop_servers

    # The same fan-out at higher rates, to find where the delays grow and what gives out first.
    for rate in $SWEEP; do
        start_server "$backend" 8080 "$url"
        say "$backend, one instance: fan-out at $rate msg/s"
        note_load "$backend run 1 instance at $rate msg/s"
        one_instance "$backend" "$rate" "$backend-1-at-$rate" "$OUT/sweep-$backend-$rate.json"
        stop_servers
    done

    if [ "$backend" = postgres ]; then
        say "$backend, two instances: density and fan-out across instances"
        start_server "$backend" 8080 "$url"
        start_server "$backend" 8081 "$url"
        note_load "$backend run 2 instances"
        "$LOAD" run --seed "$OUT/seed-$backend.json" --targets 127.0.0.1:8080,127.0.0.1:8081 \
            --server-pids "${SERVER_PIDS[0]},${SERVER_PIDS[1]}" --workers "$WORKERS" --connections "$CONNECTIONS" \
            --hold "$HOLD" --rate "$RATE" --duration "$DURATION" --draw-every "$DRAW_EVERY" \
            --label "$backend-2" --out "$OUT/run-$backend-2.json" >/dev/null
        stop_servers
    fi
done

python3 "$ROOT/scripts/bench-table.py" "$OUT" | tee "$OUT/table.md"
# Every carried rate against the ceiling measured at the start of this run.
python3 - "$OUT" <<'EOF' | tee -a "$OUT/table.md"
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
ceiling = {(r["batch"], r["statements"]): r["lines_per_second"]["median"] for r in json.loads((out / "ceiling.json").read_text())["results"]}
one, fifty = ceiling[(1, "reused")], ceiling[(50, "reused")]
print(f"\nSQLite's ceiling (median lines/s, statements kept compiled): {one} one a transaction, {fifty} fifty a transaction")
for path in sorted(out.glob("run-sqlite-*.json")) + sorted(out.glob("sweep-sqlite-*.json")):
    rate = json.loads(path.read_text()).get("messages_per_second", 0)
    print(f"- {path.stem}: {rate:.0f} msg/s = {100 * rate / one:.1f} % of the one-a-transaction ceiling, {100 * rate / fifty:.1f} % of the batched one")
EOF
