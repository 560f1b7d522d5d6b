#!/usr/bin/env python3
"""Prints the Markdown table of BENCHMARKS.md from the JSON results of scripts/bench.sh."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "artifacts/bench")


def load(name):
    path = out / name
    return json.loads(path.read_text()) if path.exists() else None


runs = [(label, load(f"run-{label}.json")) for label in ("sqlite-1", "postgres-1", "postgres-2")]
runs = [(label, run) for label, run in runs if run]
titles = {"sqlite-1": "SQLite, 1 instance", "postgres-1": "PostgreSQL, 1 instance", "postgres-2": "PostgreSQL, 2 instances"}


def lat(run, key, field):
    value = run.get(key, {}).get(field)
    return f"{value:.1f}" if value is not None else "–"


rows = [
    ("Live connections requested / opened / held", lambda r: f"{r['connections_requested']} / {r['connections_opened']} / {r['connections_held']}"),
    ("Time to open them (s)", lambda r: f"{r['open_seconds']:.0f}"),
    ("Server RSS: baseline → with connections (MiB)", lambda r: f"{r['rss_baseline_kib'] / 1024:.0f} → {r['rss_with_connections_kib'] / 1024:.0f}"),
    ("**RSS per connection (KiB)** (target ≤ 16)", lambda r: f"**{r['rss_per_connection_kib']:.1f}**"),
    ("Server CPU at rest (cores)", lambda r: f"{r['cpu_at_rest_cores']:.2f}"),
    ("Messages sent (chat + draws), per second", lambda r: f"{r.get('sent_chats', 0)} + {r.get('sent_draws', 0)}, {r.get('messages_per_second', 0):.0f}/s"),
    ("Send errors (HTTP status: count)", lambda r: f"{r.get('send_errors', 0)} ({', '.join(f'{k}: {v}' for k, v in sorted(r.get('send_statuses', {}).items()))})"),
    ("Deliveries expected / received / **lost**", lambda r: f"{r.get('expected_deliveries', 0)} / {r.get('received_deliveries', 0)} / **{r.get('lost', 0)}**"),
    ("Out of order / seq gaps / sockets dropped", lambda r: f"{r.get('out_of_order', 0)} / {r.get('seq_gaps', 0)} / {r.get('disconnected', 0)}"),
    ("Deliveries per second", lambda r: f"{r.get('deliveries_per_second', 0):.0f}"),
    ("**Delivery p50 / p99 / p99.9 / max (ms)** (target p99 ≤ 50)", lambda r: "**" + " / ".join(lat(r, "delivery_latency", f) for f in ("p50_ms", "p99_ms", "p999_ms", "max_ms")) + "**"),
    ("Draws only: p50 / p99 / max (ms)", lambda r: " / ".join(lat(r, "draw_latency", f) for f in ("p50_ms", "p99_ms", "max_ms"))),
    ("POST answered: p50 / p99 (ms)", lambda r: " / ".join(lat(r, "post_latency", f) for f in ("p50_ms", "p99_ms"))),
    ("Server CPU during fan-out (cores)", lambda r: f"{r.get('fanout_cpu_cores', 0):.2f}"),
    ("Load tool CPU during fan-out (cores)", lambda r: f"{r.get('fanout_client_cpu_cores', 0):.2f}"),
    ("Machine busy during fan-out", lambda r: f"{100 * r.get('fanout_machine_busy', 0):.0f} %"),
]

if runs:
    print("| | " + " | ".join(titles[label] for label, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for name, cell in rows:
        cells = []
        for _, run in runs:
            try:
                cells.append(cell(run))
            except (KeyError, TypeError):
                cells.append("–")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()

apis = [(label, load(f"api-{label}.json")) for label in ("sqlite", "postgres")]
apis = [(label, api) for label, api in apis if api]
if apis:
    print("| API (wrk, 64 connections) | " + " | ".join(("SQLite" if l == "sqlite" else "PostgreSQL") + " req/s (ratio of /health)" for l, _ in apis) + " | target |")
    print("|---|" + "---|" * (len(apis) + 1))
    health = " | ".join(f"{sum(a['health']['requests_per_second_runs']) / len(a['health']['requests_per_second_runs']):.0f}" for _, a in apis)
    print(f"| `GET /health` (mean of the runs around each endpoint) | {health} | ceiling |")
    for key, name, target in (("sessions_list", "`GET /api/sessions?partie_id=…`", "≥ 0.5"),
                              ("presence_get", "`GET /api/sessions/{id}/presence`", "–"),
                              ("heartbeat", "`POST /api/sessions/{id}/presence` (heartbeat)", "≥ 0.3"),
                              ("chat_line", "`POST /api/sessions/{id}/messages` (a chat line, committed)", "SQLite ≥ 4,000 req/s")):
        cells = []
        for _, api in apis:
            e = api.get(key)
            if e is None:
                cells.append("not measured")
                continue
            errors = e["errors"] + e.get("cold_errors", 0)
            errors = f", {errors} errors" if errors else ""
            cold = f"; cold tokens {e['cold_requests_per_second']:.0f} ({e['cold_ratio']:.2f})" if "cold_ratio" in e else ""
            cells.append(f"{e['requests_per_second']:.0f} (**{e['ratio']:.2f}**, p99 {e['p99']}{errors}{cold})")
        print(f"| {name} | " + " | ".join(cells) + f" | {target} |")

writes = sorted(out.glob("write-*.json"), key=lambda p: (p.stem.split("-")[1], int(p.stem.split("-")[2])))
if writes:
    print()
    print("| Chat lines alone (no one else online) | requested lines/s | carried lines/s | POST p50 / p99 / max (ms) | lost / gaps | server CPU (cores) | machine busy |")
    print("|---|---|---|---|---|---|---|")
    for path in writes:
        w = json.loads(path.read_text())
        backend, rate = path.stem.split("-")[1], path.stem.split("-")[2]
        p = w["post_latency"]
        print(f"| {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} | {rate} | {w['messages_per_second']:.0f} | "
              f"{p['p50_ms']:.1f} / **{p['p99_ms']:.1f}** / {p['max_ms']:.1f} | {w['lost']} / {w['seq_gaps']} | "
              f"{w['fanout_cpu_cores']:.2f} | {100 * w['fanout_machine_busy']:.0f} % |")

sweeps = sorted(out.glob("sweep-*.json"), key=lambda p: (p.stem.split("-")[1], int(p.stem.split("-")[2])))
if sweeps:
    print()
    print("| Fan-out, one instance | requested msg/s | carried msg/s | delivery p50 / p99 / p99.9 / max (ms) | lost | server CPU (cores) | machine busy |")
    print("|---|---|---|---|---|---|---|")
    base = {label.split("-")[0]: run for label, run in runs if label.endswith("-1")}
    rows = [(b, r) for b, r in base.items()] + [(p.stem.split("-")[1], json.loads(p.read_text())) for p in sweeps]
    rows.sort(key=lambda row: (row[0], row[1]["fanout_rate_requested"]))
    for backend, run in rows:
        latency = " / ".join(lat(run, "delivery_latency", f) for f in ("p50_ms", "p99_ms", "p999_ms", "max_ms"))
        print(f"| {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} | {run['fanout_rate_requested']:.0f} | {run['messages_per_second']:.0f} "
              f"| {latency} | {run['lost']} | {run['fanout_cpu_cores']:.2f} | {100 * run['fanout_machine_busy']:.0f} % |")
