#!/usr/bin/env python3
"""Seeds a fresh server through its API for the schemathesis stage, then writes the
schemathesis configuration that pins path, query and body values to the real ids.

    seed.py BASE_URL OUT_DIR

Writes OUT_DIR/seed.json (the ids and tokens) and OUT_DIR/schemathesis.toml. Standard library
only, so that it runs before anything is installed.

What is seeded, all through the public API:
  - an MJ and a player (register);
  - a scenario, and a partie on it (MJ), which the player joins with its invitation code;
  - a character of the player's (figure hearts) and one of the MJ's, both in the partie;
  - the session fuzzed: created by the MJ, started, the player seated with their character;
  - a second, sacrificial session, started too, in a second partie (one session in progress per
    partie), with a second character of the player's: the operations that end a session for good
    (end, cancel, delete) are pointed at it, and do not reuse ids seen in earlier responses, so
    that the first session stays playable for the whole run and the draws, chat, decks and
    presence keep being exercised past the state checks.

The configuration binds each id-like parameter of every operation (path `id` and `deck`, query
and body `partie_id`, `character_id`, `user_id`, `session_id`, `scenario_id`, `invite_code`),
found by name in the served document, to a dictionary of the seeded values with probability
0.8; the other 20 % are generated, so the 400 and 404 answers are still exercised. It also turns
off schemathesis' automatic sign-up, which would make the anonymous run authenticated.
"""
import json
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from jsonapi import json_request  # noqa: E402


def call(base, method, path, body=None, token=None, expect=(200, 201, 204)):
    headers, data = json_request(token, body)
    req = urllib.request.Request(base + path, data=data and data.encode(), headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    if status not in expect:
        sys.exit(f"seed: {method} {path} answered {status}: {raw[:500]!r}")
    return json.loads(raw) if raw else None


def toml_value(value):
    return json.dumps(value)  # a JSON string or integer is valid TOML


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: seed.py BASE_URL OUT_DIR")
    base, out = sys.argv[1].rstrip("/"), sys.argv[2]
    suffix = uuid.uuid4().hex[:8]
    # Random, so that no generated or documented value can be the MJ's current password:
    # POST /api/auth/password with the right one would revoke the token of the authenticated run.
    password = f"fuzz-{uuid.uuid4().hex}"

    mj = call(base, "POST", "/api/auth/register", {"username": f"mj_{suffix}", "password": password})
    player = call(base, "POST", "/api/auth/register", {"username": f"joueur_{suffix}", "password": password})
    mj_token, player_token = mj["token"], player["token"]

    scenario = call(base, "POST", "/api/scenarios", {"title": "Le Manoir", "description": "Seed du fuzz"}, mj_token)
    partie = call(base, "POST", "/api/parties", {"name": "Les Veilleurs", "scenario_id": scenario["id"]}, mj_token)
    call(base, "POST", "/api/parties/join", {"invite_code": partie["invite_code"]}, player_token)

    player_char = call(base, "POST", "/api/characters",
                       {"name": "Jules Verdier", "partie_id": partie["id"], "figure": "hearts"}, player_token)
    mj_char = call(base, "POST", "/api/characters",
                   {"name": "Madame Irma", "partie_id": partie["id"], "figure": "spades"}, mj_token)

    def started_session(in_partie, character, name):
        session = call(base, "POST", "/api/sessions", {"partie_id": in_partie["id"], "name": name}, mj_token)
        call(base, "POST", f"/api/sessions/{session['id']}/start", None, mj_token)
        call(base, "POST", f"/api/sessions/{session['id']}/join", {"character_id": character["id"]}, player_token)
        return session

    session = started_session(partie, player_char, "Soirée 1")
    # A partie has one session in progress at a time: the sacrificial one lives in a second partie.
    other = call(base, "POST", "/api/parties", {"name": "Partie sacrifiée"}, mj_token)
    call(base, "POST", "/api/parties/join", {"invite_code": other["invite_code"]}, player_token)
    other_char = call(base, "POST", "/api/characters",
                      {"name": "Lucie Verdier", "partie_id": other["id"], "figure": "diamonds"}, player_token)
    doomed = started_session(other, other_char, "Soirée sacrifiée")

    seed = {
        "mj": {"id": mj["user"]["id"], "token": mj_token},
        "player": {"id": player["user"]["id"], "token": player_token},
        "scenario_id": scenario["id"],
        "partie_id": partie["id"],
        "invite_code": partie["invite_code"],
        "player_character_id": player_char["id"],
        "mj_character_id": mj_char["id"],
        "session_id": session["id"],
        "other_partie_id": other["id"],
        "doomed_session_id": doomed["id"],
    }
    with open(f"{out}/seed.json", "w") as fd:
        json.dump(seed, fd, indent=2)

    # Dictionaries: a bound parameter takes a real id with the given probability and is
    # generated as usual otherwise, so the 400/404 paths are still fuzzed next to the deep ones.
    p = 0.8
    characters = [player_char["id"], mj_char["id"]]
    users = [mj["user"]["id"], player["user"]["id"]]
    lines = [
        "# Written by Tests/fuzz/seed.py for one run; do not edit.",
        "",
        "# The anonymous run must stay anonymous: no automatic sign-up through /api/auth/register.",
        "[auth]",
        "auto-signup = false",
        "",
        "[dictionaries.partie]",
        f"values = [{toml_value(partie['id'])}]",
        "[dictionaries.session]",
        f"values = [{toml_value(session['id'])}]",
        "[dictionaries.doomed_session]",
        f"values = [{toml_value(doomed['id'])}]",
        "[dictionaries.character]",
        f"values = [{', '.join(toml_value(c) for c in characters)}]",
        "[dictionaries.deck]",
        f"values = [{', '.join(toml_value(c) for c in characters + ['mj'])}]",
        "[dictionaries.user]",
        f"values = [{', '.join(toml_value(u) for u in users)}]",
        "[dictionaries.scenario]",
        f"values = [{toml_value(scenario['id'])}]",
        "[dictionaries.invite]",
        f"values = [{toml_value(partie['invite_code'])}]",
        "",
    ]

    # One [[operations]] entry per operation (schemathesis does not merge the `parameters` of
    # several matching entries), bindings chosen from the document itself by parameter name.
    doc = call(base, "GET", "/openapi.json")
    doomed_ops = {"deleteSession", "endSession", "cancelSession"}
    by_name = {"partie_id": "partie", "scenario_id": "scenario", "invite_code": "invite",
               "character_id": "character", "user_id": "user", "session_id": "session"}

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            target = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            params = {}
            for param in map(resolve, item.get("parameters", []) + op.get("parameters", [])):
                name, where = param["name"], param["in"]
                if where == "path" and name == "id":
                    family = path.split("/")[2] if path.startswith("/api/") else ""
                    kind = {"parties": "partie", "characters": "character", "sessions": "session"}.get(family)
                    if kind == "session" and op["operationId"] in doomed_ops:
                        kind = "doomed_session"
                    if kind:
                        params["path.id"] = kind
                elif where == "path" and name == "deck":
                    params["path.deck"] = "deck"
                elif where == "query" and name in by_name:
                    params[f"query.{name}"] = by_name[name]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for name in (resolve(body) or {}).get("properties", {}):
                if name in by_name:
                    kind = by_name[name]
                    if kind == "session" and op["operationId"] in doomed_ops:
                        kind = "doomed_session"
                    params[f"body.{name}"] = kind
            if not params:
                continue
            lines.append("[[operations]]")
            lines.append(f"include-operation-id = {toml_value(op['operationId'])}")
            bindings = ", ".join(
                f"{toml_value(key)} = {{ dictionary = {toml_value(kind)}, probability = {p} }}"
                for key, kind in params.items()
            )
            lines.append(f"parameters = {{ {bindings} }}")
            if op["operationId"] in doomed_ops:
                # Ids seen in earlier responses (the fuzzed session's among them) are not reused
                # here: these only ever get the sacrificial session, or a generated id.
                for phase in ("examples", "coverage", "fuzzing"):
                    lines.append(f"phases.{phase}.extra-data-sources.responses = false")
            lines.append("")

    with open(f"{out}/schemathesis.toml", "w") as fd:
        fd.write("\n".join(lines))
    print(json.dumps(seed))


if __name__ == "__main__":
    main()
