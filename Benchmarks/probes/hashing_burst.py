#!/usr/bin/env python3
"""The session list's latency while a burst of correct logins is hashed (bcrypt).

Usage: hashing_burst.py BASE_URL [--list-clients 6] [--burst 20] [--quiet-seconds 8]

Start the server with ETRANGE_BCRYPT_COST=12 and ETRANGE_RATE_LIMITS=off (20 logins of one
account in a second are otherwise refused, which is not what is measured). The probe registers
an MJ with a partie of 50 sessions, then keeps --list-clients clients asking for the session list
back to back: first alone for --quiet-seconds, then while --burst correct logins are sent at once.
It prints the list's p50/p99 in each phase and the logins' durations.
"""
import argparse
import http.client
import json
import secrets
import statistics
import threading
import time
import urllib.parse


def call(target, method, path, body=None, token=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection(target.hostname, target.port, timeout=300)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if own:
        connection.close()
    return response.status, (json.loads(data) if data else None)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--list-clients", type=int, default=6)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--quiet-seconds", type=float, default=8)
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.base)

    name, password = f"mj_{secrets.token_hex(4)}", "motdepasse-solide"
    status, auth = call(target, "POST", "/api/auth/register", {"username": name, "password": password})
    assert status == 201, auth
    token = auth["token"]
    status, partie = call(target, "POST", "/api/parties", {"name": "Mesure"}, token)
    assert status == 201, partie
    for number in range(50):
        call(target, "POST", "/api/sessions", {"partie_id": partie["id"], "name": f"Séance {number}"}, token)
    path = f"/api/sessions?partie_id={partie['id']}&per=20"

    samples = []  # (phase, seconds)
    phase = ["quiet"]
    stop = threading.Event()

    def lister():
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
        while not stop.is_set():
            started = time.perf_counter()
            status, _ = call(target, "GET", path, token=token, connection=connection)
            if status == 200:
                samples.append((phase[0], time.perf_counter() - started))

    listers = [threading.Thread(target=lister) for _ in range(args.list_clients)]
    for thread in listers:
        thread.start()
    time.sleep(args.quiet_seconds)

    logins = []

    def login():
        started = time.perf_counter()
        status, _ = call(target, "POST", "/api/auth/login", {"username": name, "password": password})
        logins.append((status, time.perf_counter() - started))

    phase[0] = "burst"
    burst = [threading.Thread(target=login) for _ in range(args.burst)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    phase[0] = "after"
    stop.set()
    for thread in listers:
        thread.join()

    for name_ in ("quiet", "burst"):
        values = [seconds * 1000 for phase_, seconds in samples if phase_ == name_]
        print(f"list {name_}: {len(values)} answers, p50 {percentile(values, 0.5):.1f} ms, "
              f"p99 {percentile(values, 0.99):.1f} ms, max {max(values):.1f} ms")
    durations = [seconds * 1000 for _, seconds in logins]
    statuses = sorted({status for status, _ in logins})
    print(f"logins: {len(logins)} ({statuses}), median {statistics.median(durations):.0f} ms, "
          f"last {max(durations):.0f} ms")


if __name__ == "__main__":
    main()
