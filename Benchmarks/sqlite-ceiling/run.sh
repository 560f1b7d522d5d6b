#!/usr/bin/env bash
# SQLite's ceiling for a chat line's rows on this machine (ceiling.c), run CEILING_RUNS times
# (5) on fresh files in CEILING_DIR (the directory of OUT: the disk the bench's database is on).
# Prints the summary (median, min and max lines per second of each configuration) as JSON and
# writes it to OUT (artifacts/bench/ceiling.json), the runs themselves beside it.
#
# CEILING_SQLITE=system (default) links the system's libsqlite3; CEILING_SQLITE=nio compiles the
# server's own SQLite (SQLiteNIO's amalgamation, from the build's checkouts) with the defines
# SQLiteNIO's Package.swift gives it, so both sides of a ratio run the same SQLite.
# CEILING_LINES (20000 per configuration), CEILING_SESSIONS (2800, the bench's sessions).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-artifacts/bench/ceiling.json}
RUNS=${CEILING_RUNS:-5}
LINES=${CEILING_LINES:-20000}
SESSIONS=${CEILING_SESSIONS:-2800}
DIR=${CEILING_DIR:-$(dirname "$OUT")}
mkdir -p "$(dirname "$OUT")" "$DIR"
BIN=$(dirname "$OUT")/ceiling-${CEILING_SQLITE:-system}

case ${CEILING_SQLITE:-system} in
    system) cc -O2 -o "$BIN" Benchmarks/sqlite-ceiling/ceiling.c -lsqlite3 ;;
    nio)
        src=$(find .build-release/checkouts .build/checkouts -path '*sqlite-nio/Sources/VaporCSQLite' -type d 2>/dev/null | head -1 || true)
        [ -n "$src" ] || { echo "SQLiteNIO's sources not found: build the server first" >&2; exit 1; }
        # SQLiteNIO's release settings (its Package.swift, sqliteCSettings) that change what a write costs.
        cc -O2 -DCEILING_NIO_AMALGAMATION -I"$src/include" -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_DQS=0 \
            -DSQLITE_SECURE_DELETE -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_TRACE -DSQLITE_OMIT_SHARED_CACHE \
            -DSQLITE_OMIT_DEPRECATED -DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
            -DSQLITE_MAX_VARIABLE_NUMBER=250000 -DSQLITE_USE_URI -DSQLITE_ENABLE_NULL_TRIM \
            -o "$BIN" Benchmarks/sqlite-ceiling/ceiling.c "$src/sqlite_nio_sqlite3.c" -lpthread -lm ;;
    *) echo "CEILING_SQLITE is system or nio" >&2; exit 1 ;;
esac

RAW=${OUT%.json}-runs.jsonl
: >"$RAW"
for i in $(seq 1 "$RUNS"); do
    "$BIN" --dir "$DIR" --lines "$LINES" --sessions "$SESSIONS" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' >>"$RAW"
done

python3 - "$RAW" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, statistics, sys
raw, out, load = sys.argv[1:4]
runs = [json.loads(line) for line in open(raw)]
series = {}
for run in runs:
    for r in run["results"]:
        series.setdefault((r["batch"], r["statements"]), []).append(r)
summary = {
    "sqlite_version": runs[0]["sqlite_version"], "lines": runs[0]["lines"], "sessions": runs[0]["sessions"],
    "runs": len(runs), "loadavg_after": load,
    "results": [
        {"batch": batch, "statements": statements,
         "lines_per_second": {k: round(f([r["lines_per_second"] for r in rs])) for k, f in (("median", statistics.median), ("min", min), ("max", max))},
         "cpu_us_per_line_median": round(statistics.median(r["cpu_us_per_line"] for r in rs), 1)}
        for (batch, statements), rs in series.items()
    ],
}
# One configuration a line: the file is read by people as much as by scripts.
text = json.dumps({k: v for k, v in summary.items() if k != "results"})[:-1] + ', "results": [\n'
text += ",\n".join("  " + json.dumps(r) for r in summary["results"]) + "\n]}\n"
open(out, "w").write(text)
print(text, end="")
EOF
