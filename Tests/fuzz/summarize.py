#!/usr/bin/env python3
"""Reads the NDJSON event reports of schemathesis runs and prints, per run and in total, the
number of test cases generated, then every distinct failure with one request that shows it.

    summarize.py MIN_CASES NAME=REPORT.ndjson [NAME=REPORT.ndjson ...]

Exits 1 when a run failed a check, hit an error, or when fewer than MIN_CASES cases were
generated in all; 0 otherwise. Standard library only.
"""
import base64
import collections
import json
import sys


def decode(content):
    if content is None:
        return ""
    if isinstance(content, dict) and "$base64" in content:
        raw = base64.b64decode(content["$base64"])
    elif isinstance(content, dict) and "string" in content:
        raw = content["string"].encode()
    else:
        raw = str(content).encode()
    text = raw.decode("utf-8", "replace")
    return text if len(text) <= 600 else text[:600] + f"… ({len(text)} characters)"


def read(path):
    cases = collections.Counter()
    failures = {}  # key -> first example, with a count
    errors = []
    with open(path) as fd:
        for line in fd:
            event = json.loads(line)
            (kind, data), = event.items()
            if kind in ("NonFatalError", "FatalError"):
                value = data.get("value") if isinstance(data.get("value"), dict) else {}
                where = f"{data.get('label')} ({data.get('phase')}): " if data.get("label") else ""
                errors.append(f"{where}{value.get('type', kind)}: {value.get('message', json.dumps(data)[:600])}")
                continue
            if kind != "ScenarioFinished":
                continue
            recorder = data.get("recorder", {})
            cases[data["phase"]] += len(recorder.get("cases", {}))
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    info = check.get("failure_info", {}).get("failure", {})
                    interaction = recorder.get("interactions", {}).get(case_id, {})
                    request, response = interaction.get("request", {}), interaction.get("response") or {}
                    operation = info.get("operation") or recorder.get("label")
                    key = (operation, check["name"], info.get("title"), response.get("status_code"))
                    if key in failures:
                        failures[key]["count"] += 1
                        continue
                    case = recorder.get("cases", {}).get(case_id, {}).get("value", {})
                    failures[key] = {
                        "count": 1,
                        "phase": data["phase"],
                        "message": info.get("message", ""),
                        "request": f"{request.get('method')} {request.get('uri')}",
                        "request_headers": {k: v for k, v in request.get("headers", {}).items()
                                            if k.lower() != "authorization"},
                        "request_body": decode(request.get("body")) if request.get("body") else "",
                        "case": case,
                        "status": response.get("status_code"),
                        "response_headers": response.get("headers", {}),
                        "response_body": decode(response.get("content")),
                    }
    return cases, failures, errors


def main():
    minimum = int(sys.argv[1])
    total, bad = 0, False
    for spec in sys.argv[2:]:
        name, _, path = spec.partition("=")
        cases, failures, errors = read(path)
        count = sum(cases.values())
        total += count
        phases = ", ".join(f"{phase} {n}" for phase, n in sorted(cases.items()))
        print(f"fuzz {name}: {count} cases ({phases}), {len(failures)} distinct failures, {len(errors)} errors")
        for (operation, check, title, status), f in sorted(failures.items(), key=lambda kv: str(kv[0])):
            bad = True
            print(f"\n  FAIL [{name}] {operation} — {check}: {title} (status {status}, {f['count']}×, phase {f['phase']})")
            for line in f["message"].strip().splitlines()[:12]:
                print(f"      {line}")
            print(f"    request:  {f['request']}")
            if f["request_headers"]:
                print(f"    headers:  {json.dumps(f['request_headers'], ensure_ascii=False)}")
            if f["request_body"]:
                print(f"    body:     {f['request_body']}")
            print(f"    response: {f['status']} {json.dumps(f['response_headers'], ensure_ascii=False)}")
            print(f"    body:     {f['response_body']}")
        for error in errors:
            bad = True
            print(f"\n  ERROR [{name}] {error}")
    print(f"\nfuzz: {total} cases generated in all (at least {minimum} required)")
    if total < minimum:
        print("fuzz: too few cases generated")
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
