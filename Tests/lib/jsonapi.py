"""What the Python stages share to call the API with JSON (Tests/crash, Tests/multi, Tests/fuzz/seed.py)."""

from __future__ import annotations

import json

# The password of the accounts `register` makes.
PASSWORD = "mot-de-passe-solide"


def json_request(token: str | None = None, body=None) -> tuple[dict, str | None]:
    """The headers and the body of a call: JSON both ways, the token as a bearer."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is None:
        return headers, None
    headers["Content-Type"] = "application/json"
    return headers, json.dumps(body)


def checked(response, expect: tuple[int, ...], where: str):
    """The decoded body of an answer whose status is one of `expect` (None when it has none);
    otherwise an assertion naming `where` the call went, with the status and the answer."""
    assert response.status_code in expect, f"{where} : {response.status_code} {response.text[:500]}"
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def call(base: str, method: str, path: str, token: str | None = None, body=None,
         expect: tuple[int, ...] = (200, 201, 204), timeout: float = 15):
    """One call through `requests`, checked (`checked`); `base` names the server in the message."""
    import requests

    headers, data = json_request(token, body)
    response = requests.request(method, base + path, headers=headers, data=data, timeout=timeout)
    return checked(response, expect, f"{method} {path} sur {base}")


def register(base: str, name: str) -> tuple[str, int]:
    """A new account named `name` and a random suffix: its token and its id."""
    import secrets

    auth = call(base, "POST", "/api/auth/register",
                body={"username": f"{name}{secrets.token_hex(3)}", "password": PASSWORD})
    return auth["token"], auth["user"]["id"]
