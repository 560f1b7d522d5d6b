"""Measures the live channel's limits against a server on loopback (`websockets` from PyPI).

Usage: python3 Benchmarks/probes/live_limits.py BASE_URL SERVER_PID PREFIX
The server runs on this machine with ETRANGE_RATE_LIMITS=off (41 accounts are registered);
PREFIX keeps the account names of one run apart from another's. Reads the server's RSS from
/proc/PID/status. Measures: (1) the largest message accepted, cut in four frames; (2) four
attempted 100 MB messages in 4 KiB continuation frames, at once, and the RSS before and after;
(3) the RSS per idle connection (200 sockets, 5 per player); (4) a sixth socket of one player
to one session closes their oldest (1008).
"""
import asyncio, json, sys, urllib.error, urllib.request
import websockets

BASE, PID, PREFIX = sys.argv[1], int(sys.argv[2]), sys.argv[3]
WS = BASE.replace("http", "ws", 1)

def rss_mb():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def call(method, path, token=None, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token: req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read().decode()}")

def register(name):
    return call("POST", "/api/auth/register", body={"username": name, "password": "motdepasse"})

async def ticket_url(sid, token):
    t = call("POST", f"/api/sessions/{sid}/live-ticket", token)["ticket"]
    return f"{WS}/api/sessions/{sid}/live?ticket={t}"

async def largest(sid, token):
    results = {}
    for size in (4096, 4097):
        async with websockets.connect(await ticket_url(sid, token), max_size=None) as ws:
            msg = '{"type":"ping","p":"' + "x" * (size - 22) + '"}'
            assert len(msg.encode()) == size
            # four fragments of about a quarter each
            q = len(msg) // 4
            await ws.send([msg[:q], msg[q:2*q], msg[2*q:3*q], msg[3*q:]])
            try:
                reply = await asyncio.wait_for(ws.recv(), 5)
                results[size] = f"accepted (answer {reply})"
            except websockets.ConnectionClosed as e:
                results[size] = f"closed {e.rcvd.code if e.rcvd else None}"
    return results

async def hundred_mb(sid, token):
    url = await ticket_url(sid, token)
    frame = "x" * 4096
    sent = 0
    async with websockets.connect(url, max_size=None) as ws:
        def fragments():
            nonlocal sent
            yield '{"type":"ping","p":"'
            for _ in range(100 * 1024 * 1024 // 4096):
                sent += 4096
                yield frame
            yield '"}'
        try:
            await ws.send(fragments())
            await asyncio.wait_for(ws.recv(), 10)
            return ("accepted", sent)
        except websockets.ConnectionClosed as e:
            return (f"closed {e.rcvd.code if e.rcvd else None}", sent)

async def main():
    mj = register(f"{PREFIX}_mj")
    partie = call("POST", "/api/parties", mj["token"], {"name": "Mesure"})
    sess = call("POST", "/api/sessions", mj["token"], {"partie_id": partie["id"], "name": "Mesure"})
    sid = sess["id"]
    call("POST", f"/api/sessions/{sid}/start", mj["token"])
    print(f"RSS at rest: {rss_mb():.1f} MB")
    print("largest message:", await largest(sid, mj["token"]))
    before = rss_mb()
    outcomes = await asyncio.gather(*(hundred_mb(sid, mj["token"]) for _ in range(4)))
    await asyncio.sleep(1)
    for outcome, sent in outcomes:
        print(f"100 MB attempt: {outcome}, {sent / 1024:.0f} KiB handed to the client's socket before the close")
    print(f"RSS before / after four attempted 100 MB messages: {before:.1f} / {rss_mb():.1f} MB")
    # per connection: 40 players x 5 sockets
    players = []
    for i in range(40):
        if i % 5 == 0:
            table = call("POST", "/api/sessions", mj["token"], {"partie_id": partie["id"], "name": f"Table {i // 5}"})["id"]
        p = register(f"{PREFIX}_j{i}")
        call("POST", "/api/parties/join", p["token"], {"invite_code": partie["invite_code"]})
        ch = call("POST", "/api/characters", p["token"], {"name": f"Perso {i}", "partie_id": partie["id"]})
        call("POST", f"/api/sessions/{table}/join", p["token"], {"character_id": ch["id"]})
        players.append((p, table))
    await asyncio.sleep(1)
    base = rss_mb()
    sockets = []
    for p, table in players:
        for _ in range(5):
            sockets.append(await websockets.connect(await ticket_url(table, p["token"])))
    await asyncio.sleep(2)
    after = rss_mb()
    print(f"RSS with 200 more idle sockets: {base:.1f} -> {after:.1f} MB, {(after - base) * 1024 / 200:.1f} KiB per connection")
    # a sixth socket of one player closes their oldest
    extra = await websockets.connect(await ticket_url(players[0][1], players[0][0]["token"]))
    try:
        while True:
            await asyncio.wait_for(sockets[0].recv(), 5)
    except websockets.ConnectionClosed as e:
        print(f"6th socket of one player: the oldest closed with {e.rcvd.code if e.rcvd else None}")
    except asyncio.TimeoutError:
        print("6th socket of one player: the oldest NOT closed")
    for s in sockets + [extra]:
        await s.close()

asyncio.run(main())
