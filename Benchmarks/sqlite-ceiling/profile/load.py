"""Sends N chat lines (or draws) to one session over C keep-alive connections and reports the
server's CPU (utime+stime from /proc/<pid>/stat) per request, wall time and answers per second."""
import http.client, json, os, sys, threading, time
host, port, pid, seedfile, kind, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
seed = json.load(open(seedfile))
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def ctxsw():
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try: s = open(f"/proc/{pid}/task/{t}/status").read()
        except FileNotFoundError: continue
        total += sum(int(l.split()[1]) for l in s.splitlines() if "ctxt_switches" in l)
    return total
path = f"/api/sessions/{seed['session']}/" + ("messages" if kind == "chat" else "draws")
headers = {"Authorization": "Bearer " + seed["mj_token"], "Content-Type": "application/json"}
statuses = {}
lat = []
lock = threading.Lock()
def worker(count):
    conn = http.client.HTTPConnection(host, port)
    for i in range(count):
        body = json.dumps({"body": f"bm|c|{time.monotonic_ns()}|"} if kind == "chat" else {"visibility": "public", "reason": f"bm|d|{time.monotonic_ns()}|"})
        t = time.monotonic()
        conn.request("POST", path, body, headers)
        r = conn.getresponse(); r.read()
        with lock:
            statuses[r.status] = statuses.get(r.status, 0) + 1
            lat.append(time.monotonic() - t)
extra = [int(p) for p in os.environ.get("EXTRA_PIDS", "").split(",") if p]
def extra_cpu():
    total = 0
    for p in extra:
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
        except FileNotFoundError: pass
    return total
e0 = extra_cpu()
c0, s0, w0 = cpu(), ctxsw(), time.monotonic()
threads = [threading.Thread(target=worker, args=(n // c,)) for _ in range(c)]
for t in threads: t.start()
for t in threads: t.join()
w, cp, sw = time.monotonic() - w0, cpu() - c0, ctxsw() - s0
lat.sort()
print(json.dumps({"kind": kind, "requests": len(lat), "concurrency": c, "statuses": statuses, "wall_s": round(w, 2),
    "per_second": round(len(lat) / w, 1), "server_cpu_s": round(cp, 2), "server_cpu_ms_per_request": round(1000 * cp / len(lat), 3),
    "server_ctx_switches_per_request": round(sw / len(lat), 1),
    "database_cpu_ms_per_request": round(1000 * (extra_cpu() - e0) / len(lat), 3) if extra else None,
    "latency_ms_p50": round(1000 * lat[len(lat) // 2], 2), "latency_ms_p99": round(1000 * lat[int(len(lat) * 0.99)], 2),
    "loadavg": open("/proc/loadavg").read().split()[:3]}))
