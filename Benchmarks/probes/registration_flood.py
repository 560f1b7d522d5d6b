#!/usr/bin/env python3
"""How long a correct login (and /health) takes while clients flood registrations.

Usage: registration_flood.py BASE_URL [--clients 16] [--seconds 20] [--addresses 1]

Registers one account, then starts CLIENTS threads that register new accounts back to back
(spread over ADDRESSES loopback source addresses, 127.0.0.2 onwards, to pass per-address
limits), and meanwhile logs in with the right password and reads /health every 0.5 s.
Prints the statuses the flood received and the latencies, median and worst.
"""
import argparse
import collections
import http.client
import json
import statistics
import threading
import time
import urllib.parse


def request(base, method, path, body=None, source=None):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120,
                                            source_address=(source, 0) if source else None)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        start = time.perf_counter()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - start) * 1000
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--addresses", type=int, default=1)
    args = parser.parse_args()

    tag = str(int(time.time()))
    status, _ = request(args.base, "POST", "/api/auth/register",
                        {"username": f"mesure{tag}", "password": "la-bonne-phrase"}, source="127.0.0.1")
    assert status == 201, status
    stop = time.monotonic() + args.seconds
    flood = collections.Counter()
    lock = threading.Lock()

    def flooder(index):
        source = f"127.0.0.{2 + index % args.addresses}"
        count = 0
        while time.monotonic() < stop:
            count += 1
            try:
                status, _ = request(args.base, "POST", "/api/auth/register",
                                    {"username": f"f{tag}x{index}x{count}", "password": "motdepasse"}, source=source)
            except OSError:
                status = "error"
            with lock:
                flood[status] += 1

    threads = [threading.Thread(target=flooder, args=(index,)) for index in range(args.clients)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    logins, health = [], []
    while time.monotonic() < stop - 1:
        status, ms = request(args.base, "POST", "/api/auth/login",
                             {"username": f"mesure{tag}", "password": "la-bonne-phrase"}, source="127.0.0.1")
        logins.append((status, ms))
        status, ms = request(args.base, "GET", "/health", source="127.0.0.1")
        health.append((status, ms))
        time.sleep(0.5)
    for thread in threads:
        thread.join()

    def summary(samples):
        times = [ms for _, ms in samples]
        statuses = collections.Counter(status for status, _ in samples)
        return f"n={len(times)} median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms, statuses {dict(statuses)}"

    print(f"flood: {args.clients} clients over {args.addresses} address(es) for {args.seconds:.0f} s: {dict(flood)}")
    print(f"correct login: {summary(logins)}")
    print(f"/health:       {summary(health)}")


if __name__ == "__main__":
    main()
