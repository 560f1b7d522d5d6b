"""The server behind the nginx file that hosts install (deploy/nginx/etrange.conf).

Started by Tests/proxy/run.sh: ETRANGE_PROXY is nginx, ETRANGE_DIRECT the server itself (trusting
127.0.0.1, nginx's address, for X-Forwarded-For), ETRANGE_PROXY_LOG nginx's access log. Clients
connect from other loopback addresses (127.0.0.2, 127.0.0.3…) so that nginx and the server can
tell them apart, as they would tell apart two homes.
"""
import http.client
import json
import os
import secrets
import socket
import time
import urllib.parse

import pytest
from websockets.sync.client import connect as ws_connect

PROXY = urllib.parse.urlsplit(os.environ["ETRANGE_PROXY"])
DIRECT = urllib.parse.urlsplit(os.environ["ETRANGE_DIRECT"])
ACCESS_LOG = os.environ["ETRANGE_PROXY_LOG"]


def request(target, method, path, body=None, token=None, source="127.0.0.2", headers=None):
    """One request from `source`; returns (status, headers, decoded JSON or text)."""
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30, source_address=(source, 0))
    try:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = raw.decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
    finally:
        connection.close()


def register(prefix):
    name = f"{prefix}_{secrets.token_hex(4)}"
    status, _, body = request(PROXY, "POST", "/api/auth/register", {"username": name, "password": "motdepasse"},
                              source="127.0.0.20")
    assert status == 201, body
    return name, body["token"]


def test_page_and_api_answer_through_the_proxy_with_their_policies():
    status, headers, _ = request(PROXY, "GET", "/")
    assert status == 200
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = request(PROXY, "GET", "/health")
    assert status == 200 and body["status"] == "ok"
    status, headers, _ = request(PROXY, "GET", "/api/me")
    assert status == 401 and headers["cache-control"] == "no-store"


def test_a_request_head_sent_slowly_is_cut():
    """Slowloris: the head arrives a line a second and never ends; nginx lets go (408 or a close)
    within its client_header_timeout, and the server never sees the connection."""
    sock = socket.create_connection((PROXY.hostname, PROXY.port), timeout=2, source_address=("127.0.0.2", 0))
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: etrange\r\n")
    started = time.monotonic()
    closed = False
    answer = b""
    while time.monotonic() - started < 30:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except OSError:
            closed = True
            break
        try:
            chunk = sock.recv(4096)
            if not chunk:
                closed = True
                break
            answer += chunk
        except socket.timeout:
            pass
    sock.close()
    assert closed, "a request head still unfinished after 30 s was kept open"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_connections_being_answered_are_capped_per_address():
    """Forty requests from one address still sending their bodies hold forty connections; the
    forty-first from that address gets 429 at once, while another address is served."""
    held = []
    try:
        for _ in range(40):
            sock = socket.create_connection((PROXY.hostname, PROXY.port), timeout=5, source_address=("127.0.0.4", 0))
            sock.sendall(b"POST /api/auth/login HTTP/1.1\r\nHost: etrange\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{")
            held.append(sock)
        time.sleep(0.5)  # nginx reads the forty heads before the next request arrives
        status, _, _ = request(PROXY, "GET", "/health", source="127.0.0.4")
        assert status == 429
        status, _, _ = request(PROXY, "GET", "/health", source="127.0.0.5")
        assert status == 200
    finally:
        for sock in held:
            sock.close()


def test_the_server_limits_each_client_not_the_proxy():
    """Behind the proxy, every request reaches the server from 127.0.0.1; with
    ETRANGE_TRUSTED_PROXIES=127.0.0.1 it limits logins per client address from X-Forwarded-For.
    A client that spends its allowance is refused; another client, and a forged X-Forwarded-For,
    change nothing for either."""
    name, _ = register("lea")
    refused = None
    for attempt in range(80):
        status, headers, body = request(PROXY, "POST", "/api/auth/login",
                                        {"username": f"inconnu{attempt}", "password": "mauvais"}, source="127.0.0.6")
        if status == 429:
            refused = attempt
            assert "retry-after" in headers
            break
        assert status == 401, body
    assert refused is not None, "80 failed logins from one address were never limited"

    status, _, body = request(PROXY, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                              source="127.0.0.7")
    assert status == 200, f"another client was caught by the first one's limit: {body}"

    forged = {"X-Forwarded-For": "127.0.0.99"}
    status, _, _ = request(PROXY, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                           source="127.0.0.6", headers=forged)
    assert status == 429, "a client escaped its limit by writing its own X-Forwarded-For"
    status, _, _ = request(DIRECT, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                           source="127.0.0.6", headers=forged)
    assert status == 429, "the server believed X-Forwarded-For from a peer that is not a trusted proxy"


def test_the_live_channel_goes_through_and_its_token_stays_out_of_the_log():
    _, token = register("mj")
    status, _, partie = request(PROXY, "POST", "/api/parties", {"name": "Derrière le proxy"}, token)
    assert status == 201, partie
    status, _, session = request(PROXY, "POST", "/api/sessions", {"partie_id": partie["id"], "name": "Soirée"}, token)
    assert status == 201, session
    status, _, _ = request(PROXY, "POST", f"/api/sessions/{session['id']}/start", None, token)
    assert status == 200

    url = f"ws://{PROXY.hostname}:{PROXY.port}/api/sessions/{session['id']}/live?token={token}"
    with ws_connect(url, open_timeout=10, close_timeout=2) as live:
        status, _, _ = request(PROXY, "POST", f"/api/sessions/{session['id']}/messages", {"body": "Bonsoir"}, token)
        assert status == 201
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline:
            message = json.loads(live.recv(timeout=deadline - time.monotonic()))
            seen.append(message.get("type"))
            if message.get("type") == "chat.message":
                break
        assert "chat.message" in seen, seen

    time.sleep(0.2)  # nginx writes the line when the socket closes
    with open(ACCESS_LOG, encoding="utf-8") as log:
        text = log.read()
    assert f"/api/sessions/{session['id']}/live" in text
    assert token not in text, "a token reached the proxy's log"
