"""Seeds one session of 7 through the API (as etrange-load's Seeder does) and prints its JSON."""
import json, sys, urllib.request, uuid
base = sys.argv[1]
tag = uuid.uuid4().hex[:6]

def call(method, path, token=None, body=None, expect=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None: req.add_header("Content-Type", "application/json")
    if token: req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")

def register(name):
    j = call("POST", "/api/auth/register", body={"username": name, "password": "bench-password", "display_name": "Bench " + name})
    return j["user"]["id"], j["token"]

mj = register(f"p{tag}m0")
partie = call("POST", "/api/parties", mj[1], {"name": "Bench"})
session = call("POST", "/api/sessions", mj[1], {"partie_id": partie["id"], "name": "Table", "max_players": 6})
players = []
for seat in range(1, 7):
    p = register(f"p{tag}m{seat}")
    call("POST", "/api/parties/join", p[1], {"invite_code": partie["invite_code"]})
    c = call("POST", "/api/characters", p[1], {"name": f"Perso {seat}", "partie_id": partie["id"]})
    players.append((p[0], p[1], c["id"]))
call("POST", f"/api/sessions/{session['id']}/start", mj[1])
call("POST", f"/api/sessions/{session['id']}/join", mj[1])
for uid, tok, cid in players:
    call("POST", f"/api/sessions/{session['id']}/join", tok, {"character_id": cid})
print(json.dumps({"session": session["id"], "mj_token": mj[1], "player_token": players[0][1], "player_character": players[0][2]}))
