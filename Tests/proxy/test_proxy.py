"""The server behind the nginx file that hosts install (deploy/nginx.conf), which terminates TLS.

Started by Tests/proxy/run.sh: ETRANGE_PROXY is nginx over HTTPS (its certificate signed by the
test's own authority, ETRANGE_CA, which the clients here trust and nothing else),
ETRANGE_PROXY_HTTP nginx over plain HTTP, ETRANGE_DIRECT the server itself (trusting 127.0.0.1,
nginx's address, for X-Forwarded-For and X-Forwarded-Proto, and with ETRANGE_PUBLIC_URL set to
ETRANGE_PROXY), ETRANGE_PROXY_LOG nginx's access log, ETRANGE_SERVER_LOG the server's output,
ETRANGE_ACME_DIR the folder nginx serves certbot's challenges from. Clients connect from other
loopback addresses (127.0.0.2, 127.0.0.3…) so that nginx and the server can tell them apart, as
they would tell apart two homes.
"""
import http.client
import json
import os
import secrets
import socket
import ssl
import time
import urllib.parse

import pytest
from websockets.sync.client import connect as ws_connect

PROXY = urllib.parse.urlsplit(os.environ["ETRANGE_PROXY"])
PROXY_HTTP = urllib.parse.urlsplit(os.environ["ETRANGE_PROXY_HTTP"])
DIRECT = urllib.parse.urlsplit(os.environ["ETRANGE_DIRECT"])
ACCESS_LOG = os.environ["ETRANGE_PROXY_LOG"]
SERVER_LOG = os.environ["ETRANGE_SERVER_LOG"]
ACME_DIR = os.environ["ETRANGE_ACME_DIR"]
# Verifies nginx's certificate and name against the test's authority, as a browser would.
TLS = ssl.create_default_context(cafile=os.environ["ETRANGE_CA"])
HSTS = "max-age=31536000"


def connection(target, source, timeout=30):
    if target.scheme == "https":
        return http.client.HTTPSConnection(target.hostname, target.port, timeout=timeout,
                                           source_address=(source, 0), context=TLS)
    return http.client.HTTPConnection(target.hostname, target.port, timeout=timeout, source_address=(source, 0))


def request(target, method, path, body=None, token=None, source="127.0.0.2", headers=None, raw=None):
    """One request from `source`; returns (status, headers, decoded JSON or text)."""
    client = connection(target, source)
    try:
        sent = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        client.request(method, path, body=data, headers=sent)
        response = client.getresponse()
        payload = response.read()
        try:
            payload = json.loads(payload)
        except ValueError:
            payload = payload.decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
    finally:
        client.close()


def open_socket(target, source, timeout):
    """A raw socket to `target` from `source`, TLS already negotiated when it is HTTPS."""
    sock = socket.create_connection((target.hostname, target.port), timeout=timeout, source_address=(source, 0))
    if target.scheme == "https":
        return TLS.wrap_socket(sock, server_hostname=target.hostname)
    return sock


def register(prefix):
    name = f"{prefix}_{secrets.token_hex(4)}"
    status, _, body = request(PROXY, "POST", "/api/auth/register", {"username": name, "password": "motdepasse"},
                              source="127.0.0.20")
    assert status == 201, body
    return name, body["token"]


def server_log_lines(needle):
    with open(SERVER_LOG, encoding="utf-8", errors="replace") as log:
        return [line for line in log if needle in line]


def test_plain_http_goes_to_https_except_certbots_challenges():
    status, headers, _ = request(PROXY_HTTP, "GET", "/api/me?x=1")
    assert status == 301
    assert headers["location"] == f"https://127.0.0.1:{PROXY.port}/api/me?x=1"
    with open(os.path.join(ACME_DIR, "jeton-acme"), "w", encoding="utf-8") as challenge:
        challenge.write("preuve")
    os.chmod(os.path.join(ACME_DIR, "jeton-acme"), 0o644)
    status, _, body = request(PROXY_HTTP, "GET", "/.well-known/acme-challenge/jeton-acme")
    assert (status, body) == (200, "preuve")


def test_page_and_api_answer_over_https_with_their_policies():
    status, headers, _ = request(PROXY, "GET", "/")
    assert status == 200
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"] == HSTS, "an answer over HTTPS promises HTTPS"
    status, headers, body = request(PROXY, "GET", "/health")
    assert status == 200 and body["status"] == "ok"
    status, headers, _ = request(PROXY, "GET", "/api/me")
    assert status == 401 and headers["cache-control"] == "no-store"
    # The server alone, over plain HTTP, promises nothing.
    status, headers, _ = request(DIRECT, "GET", "/", source="127.0.0.1")
    assert status == 200 and "strict-transport-security" not in headers


def test_sign_in_over_https():
    name, _ = register("clara")
    status, _, body = request(PROXY, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                              source="127.0.0.8")
    assert status == 200, body
    status, _, me = request(PROXY, "GET", "/api/me", token=body["token"], source="127.0.0.8")
    assert status == 200 and me["username"] == name
    # The server saw the client, and the scheme it used, not nginx's plain HTTP from 127.0.0.1.
    logged = [line for line in server_log_lines("POST /api/auth/login 200") if "127.0.0.8" in line]
    assert logged and "https" in logged[-1], server_log_lines("POST /api/auth/login")[-3:]


def test_invitation_links_carry_the_public_https_address():
    _, token = register("hote")
    status, _, partie = request(PROXY, "POST", "/api/parties", {"name": "Chez nous"}, token)
    assert status == 201, partie
    link = partie["invite_url"]
    assert link.startswith(f"https://127.0.0.1:{PROXY.port}/invitation/"), link
    # The link opens, through the proxy, with the certificate checked.
    status, headers, page = request(PROXY, "GET", urllib.parse.urlsplit(link).path)
    assert status == 200 and headers["content-type"].startswith("text/html"), page[:200]


@pytest.mark.parametrize("target", [PROXY, PROXY_HTTP], ids=["https", "http"])
def test_a_request_head_sent_slowly_is_cut(target):
    """Slowloris: the head arrives a line a second and never ends; nginx lets go (408 or a close)
    within its client_header_timeout, and the server never sees the connection."""
    sock = open_socket(target, "127.0.0.2", timeout=2)
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
        except OSError:
            closed = True
            break
    sock.close()
    assert closed, "a request head still unfinished after 30 s was kept open"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_connections_being_answered_are_capped_per_address():
    """Forty requests from one address still sending their bodies hold forty connections; the
    forty-first from that address gets 429 at once, while another address is served."""
    held = []
    try:
        for _ in range(40):
            sock = open_socket(PROXY, "127.0.0.4", timeout=5)
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


def test_bodies_are_bounded_as_the_server_bounds_them():
    """nginx's bound is the server's (ETRANGE_MAX_BODY_KB, 64 KiB): the largest body the server
    takes (Vapor refuses from 64 KiB on, one byte under nginx's `64k`) goes through and is
    answered by the server in JSON; a body over 64 KiB is refused by nginx itself, as the server
    would refuse it, and never reaches the server."""
    largest = b"{" + b" " * (64 * 1024 - 3) + b"}"
    status, _, body = request(PROXY, "POST", "/api/auth/login", raw=largest,
                              headers={"Content-Type": "application/json"}, source="127.0.0.9")
    assert status == 400 and isinstance(body, dict), (status, str(body)[:200])
    too_large = largest + b"  "
    status, headers, _ = request(PROXY, "POST", "/api/auth/login", raw=too_large,
                                 headers={"Content-Type": "application/json"}, source="127.0.0.9")
    assert status == 413 and headers["content-type"].startswith("text/html"), "nginx let the body through"
    status, _, _ = request(DIRECT, "POST", "/api/auth/login", raw=too_large,
                           headers={"Content-Type": "application/json"}, source="127.0.0.9")
    assert status == 413


def test_a_handout_larger_than_other_bodies_reaches_the_server():
    """Handouts have a bound of their own (ETRANGE_HANDOUT_MAX_MB): nginx lets a 1 MiB upload through
    to the server, which answers it (here: no sign-in), rather than refusing it as any other body."""
    status, headers, body = request(PROXY, "POST", "/api/parties/1/handouts", raw=b"x" * (1024 * 1024),
                                    headers={"Content-Type": "multipart/form-data; boundary=x"}, source="127.0.0.9")
    assert status != 413 and headers["content-type"].startswith("application/json"), (status, str(body)[:200])


def test_the_server_limits_each_client_not_the_proxy():
    """Behind the proxy, every request reaches the server from 127.0.0.1; with
    ETRANGE_TRUSTED_PROXIES=127.0.0.1 it limits logins per client address from X-Forwarded-For.
    A client that spends its allowance is refused; another client is not, and forged
    X-Forwarded-For / X-Forwarded-Proto headers change nothing, through the proxy (which
    overwrites them) or sent straight to the server from an address it does not trust."""
    name, _ = register("lea")
    refused = None
    for attempt in range(80):
        status, headers, body = request(PROXY, "POST", "/api/auth/login",
                                        {"username": f"inconnu{attempt}", "password": "mauvais"}, source="127.0.0.2")
        if status == 429:
            refused = attempt
            assert "retry-after" in headers
            break
        assert status == 401, body
    assert refused is not None, "80 failed logins from one address were never limited"

    status, _, body = request(PROXY, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                              source="127.0.0.3")
    assert status == 200, f"another client was caught by the first one's limit: {body}"

    forged = {"X-Forwarded-For": "127.0.0.99", "X-Forwarded-Proto": "http"}
    status, headers, _ = request(PROXY, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                                 source="127.0.0.2", headers=forged)
    assert status == 429, "a client escaped its limit by writing its own X-Forwarded-For"
    assert headers.get("strict-transport-security") == HSTS, "nginx's X-Forwarded-Proto gave way to the client's"

    forged = {"X-Forwarded-For": "127.0.0.98", "X-Forwarded-Proto": "https"}
    status, headers, _ = request(DIRECT, "POST", "/api/auth/login", {"username": name, "password": "motdepasse"},
                                 source="127.0.0.2", headers=forged)
    assert status == 429, "the server believed X-Forwarded-For from a peer that is not a trusted proxy"
    assert "strict-transport-security" not in headers, \
        "the server believed X-Forwarded-Proto from a peer that is not a trusted proxy"
    status, headers, _ = request(DIRECT, "GET", "/health", source="127.0.0.3", headers=forged)
    assert status == 200 and "strict-transport-security" not in headers
    assert not server_log_lines("127.0.0.98"), "a forged address reached the server's log"


def test_the_live_channel_goes_through_over_wss_and_its_token_stays_out_of_the_log():
    _, token = register("mj")
    status, _, partie = request(PROXY, "POST", "/api/parties", {"name": "Derrière le proxy"}, token)
    assert status == 201, partie
    status, _, session = request(PROXY, "POST", "/api/sessions", {"partie_id": partie["id"], "name": "Soirée"}, token)
    assert status == 201, session
    status, _, _ = request(PROXY, "POST", f"/api/sessions/{session['id']}/start", None, token)
    assert status == 200

    url = f"wss://{PROXY.hostname}:{PROXY.port}/api/sessions/{session['id']}/live?token={token}"
    with ws_connect(url, ssl=TLS, open_timeout=10, close_timeout=2) as live:
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


def test_metrics_want_the_token_of_the_example_settings():
    status, _, _ = request(PROXY, "GET", "/metrics")
    assert status == 401
    status, _, body = request(PROXY, "GET", "/metrics", token=os.environ["ETRANGE_METRICS_TOKEN"])
    assert status == 200 and "etrange_http_requests_total" in body
