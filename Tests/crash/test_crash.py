"""The server killed with SIGKILL while clients write, then restarted on the same database.

For each database (SQLite always, PostgreSQL when run.sh gives one) and each round:

1. seed through the API: an MJ, eight players who join the partie and make a character each,
   a session of six seats, started;
2. the MJ draws 26 times (decks are drawn with replacement since #24: these put draws of both
   modes in the journal before the load); then client threads write at once: the players take seats (six seats for eight players: 409 for
   the others), sometimes leave and come back, send heartbeats, chat and draw cards; the MJ sends
   heartbeats, chats and draws. Every write is recorded with its outcome: acknowledged (2xx,
   body fully received, with the id returned), refused (4xx, 429 included: nothing written),
   or cut (no complete answer: it may or may not have been written);
3. once every kind of write has been acknowledged a few times, after a random delay, SIGKILL;
   the clients go on until they fail;
4. restart on the same database (it must come up, its migrations already applied) and check:
   every acknowledged message, draw and seat is there, nothing refused is; at most six players
   seated; every deck's draws never repeat a card within a pass and match its piles; every
   public draw has its chat line and every change its journal event, numbered without gap; the
   session's status and timestamps agree;
5. with no heartbeat, everyone is swept offline within the timeout plus a couple of sweeps, and
   nobody before the timeout has run from their last acknowledged heartbeat; seats stay;
6. the MJ pauses and ends the session: the server still works.

Then the next round, on the same database, with a new session of the same partie. The server
logs must show no error, and the restart no migration run again.

Needs ETRANGE_CRASH_BINARY, ETRANGE_CRASH_WORK, ETRANGE_CRASH_SQLITE_URL and optionally
ETRANGE_CRASH_POSTGRES_URL + ETRANGE_CRASH_PG_SCHEMA: run Tests/crash/run.sh BINARY.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from jsonapi import checked, json_request  # noqa: E402

requests = pytest.importorskip("requests")

BINARY = os.environ.get("ETRANGE_CRASH_BINARY", "")
WORK = os.environ.get("ETRANGE_CRASH_WORK", "")
if not (BINARY and WORK):
    pytest.skip("ETRANGE_CRASH_BINARY et ETRANGE_CRASH_WORK manquent : lancez Tests/crash/run.sh BINARY.",
                allow_module_level=True)
PIDFILE = os.environ.get("ETRANGE_CRASH_PIDFILE", os.path.join(WORK, "servers.pids"))
SQLITE_URL = os.environ.get("ETRANGE_CRASH_SQLITE_URL", "")
POSTGRES_URL = os.environ.get("ETRANGE_CRASH_POSTGRES_URL", "")
PG_SCHEMA = os.environ.get("ETRANGE_CRASH_PG_SCHEMA", "")

ROUNDS = int(os.environ.get("ETRANGE_CRASH_ROUNDS", "2"))
STOP_ROUNDS = int(os.environ.get("ETRANGE_STOP_ROUNDS", "3"))
ABANDON_ROUNDS = int(os.environ.get("ETRANGE_ABANDON_ROUNDS", "6"))
# Clients that ask for the session list and hang up before the answer, and how long after they
# asked: enough to queue up handlers that each read the database several times.
ABANDONING_CLIENTS = 2000
ABANDON_AFTER = (0.005, 0.01, 0.02)
SEED = int(os.environ.get("ETRANGE_CRASH_SEED") or secrets.randbits(32))
PRESENCE_TIMEOUT = 5
SWEEP_INTERVAL = 1
PLAYERS = 8
MAX_PLAYERS = 6
PASSWORD = "mot-de-passe-solide"
# When the kill comes: once every kind of write has been acknowledged WARMUP_ACKS times (or after
# WARMUP_LIMIT seconds), after a delay drawn in CRASH_WINDOW (seconds).
WARMUP_ACKS = 3
WARMUP_LIMIT = 30.0
CRASH_WINDOW = (0.5, 3.0)
# Draws of the MJ before the writes: one classic and 25 advantage.
PRIME_DRAWS = 26
# Pace of each writer: 30 a minute are allowed, spent over about five seconds.
CHAT_PACE = 0.15
DRAW_PACE = 0.15
HEARTBEAT_PACE = 0.4
START_TIMEOUT = 60.0
VALID_STATUSES = {"scheduled", "active", "paused", "completed", "cancelled"}


def log(message: str) -> None:
    print(f"[crash] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One database, one port; started, killed and started again by the test."""

    def __init__(self, backend: str):
        self.backend = backend
        self.dir = Path(WORK) / backend
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.startswith("ETRANGE_") or name == "DATABASE_URL":
                del self.env[name]
        self.env.update(
            ETRANGE_BCRYPT_COST="4",
            ETRANGE_PRESENCE_TIMEOUT=str(PRESENCE_TIMEOUT),
            ETRANGE_SWEEP_INTERVAL=str(SWEEP_INTERVAL),
            ETRANGE_PUBLIC_URL=self.base,
            # The server runs from its own folder, away from the checkout's web files.
            ETRANGE_PUBLIC_DIR=str(Path(__file__).resolve().parents[2] / "Public"),
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "info"),
        )
        if backend == "sqlite":
            self.env["DATABASE_URL"] = SQLITE_URL
            self.sqlite_path = SQLITE_URL[len("sqlite://"):]
        else:
            self.env["DATABASE_URL"] = POSTGRES_URL
            self.env["ETRANGE_DB_SCHEMA"] = PG_SCHEMA
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log_path: Path | None = None
        self._log_file = None

    def start(self) -> float:
        """Starts the server and waits for /health; returns the seconds it took."""
        assert self.proc is None or self.proc.poll() is not None, "un serveur tourne déjà"
        self.starts += 1
        self.log_path = self.dir / f"server-{self.starts}.log"
        self._log_file = open(self.log_path, "wb")
        began = time.monotonic()
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=self.dir, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        with open(PIDFILE, "a") as f:
            f.write(f"{self.proc.pid}\n")
        while time.monotonic() - began < START_TIMEOUT:
            if self.proc.poll() is not None:
                pytest.fail(f"[{self.backend}] le serveur (démarrage n° {self.starts}) s'est arrêté au "
                            f"démarrage, code {self.proc.returncode} :\n{self.log_tail()}")
            try:
                r = requests.get(self.base + "/health", timeout=2)
                if r.status_code == 200:
                    return time.monotonic() - began
            except requests.RequestException:
                pass
            time.sleep(0.05)
        pytest.fail(f"[{self.backend}] pas de réponse sur /health après {START_TIMEOUT} s :\n{self.log_tail()}")

    def kill(self) -> float:
        """SIGKILL; returns the monotonic time it was sent."""
        assert self.proc is not None and self.proc.poll() is None, "le serveur n'est plus là"
        at = time.monotonic()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log_file.close()
        return at

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.close()

    def log_text(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    # Direct reads of the database, for what the API does not show (the live journal, clocks).
    def sql(self, query: str) -> list[tuple]:
        if self.backend == "sqlite":
            with sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30) as db:
                return [tuple(row) for row in db.execute(query).fetchall()]
        out = subprocess.run(
            ["psql", POSTGRES_URL, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-c", f'SET search_path TO "{PG_SCHEMA}"', "-c", query],
            check=True, capture_output=True, text=True, timeout=60).stdout
        return [tuple(_number(cell) for cell in line.split("\t")) for line in out.splitlines() if line]


def _number(cell: str):
    try:
        return int(cell)
    except ValueError:
        return cell


# --------------------------------------------------------------------------------------------
# HTTP


class Api:
    def __init__(self, server: Server):
        self.server = server
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, body=None,
             expect: tuple[int, ...] = (200, 201, 204)):
        headers, data = json_request(token, body)
        r = self.http.request(method, self.server.base + path, headers=headers, data=data, timeout=30)
        return checked(r, expect, f"[{self.server.backend}] {method} {path}")


@dataclass
class Outcome:
    kind: str                 # chat, draw, join, leave, heartbeat
    user: int
    started: float            # monotonic
    ended: float
    result: str               # ack, refused, cut, server_error
    status: int | None = None
    data: object = None
    detail: str = ""
    sent: dict = field(default_factory=dict)


def attempt(http: requests.Session, base: str, kind: str, user: int, token: str, path: str,
            body: dict | None) -> Outcome:
    headers, data = json_request(token, body)
    started = time.monotonic()
    try:
        r = http.post(base + path, headers=headers, data=data, timeout=(3, 60))
        status = r.status_code
        if 200 <= status < 300:
            payload = r.json() if r.content else None   # the whole body, or it was not acknowledged
            return Outcome(kind, user, started, time.monotonic(), "ack", status, payload, sent=body or {})
        result = "server_error" if status >= 500 else "refused"
        return Outcome(kind, user, started, time.monotonic(), result, status, None, r.text[:300], sent=body or {})
    except (requests.RequestException, ValueError) as error:
        return Outcome(kind, user, started, time.monotonic(), "cut", None, None,
                       type(error).__name__, sent=body or {})


# --------------------------------------------------------------------------------------------
# The story's people


@dataclass
class Person:
    name: str
    token: str
    id: int
    character: str | None = None   # character id (players)


@dataclass
class Cast:
    mj: Person
    players: list[Person]
    partie_id: int


def seed_cast(api: Api, tag: str) -> Cast:
    def register(name: str) -> Person:
        out = api.call("POST", "/api/auth/register", body={"username": name, "password": PASSWORD})
        return Person(name, out["token"], out["user"]["id"])

    mj = register(f"mj_{tag}")
    partie = api.call("POST", "/api/parties", mj.token, {"name": f"Crash {tag}"})
    players = []
    for index in range(PLAYERS):
        player = register(f"j{index}_{tag}")
        api.call("POST", "/api/parties/join", player.token, {"invite_code": partie["invite_code"]})
        character = api.call("POST", "/api/characters", player.token,
                             {"name": f"Perso {index} {tag}", "partie_id": partie["id"], "figure": "spades"})
        player.character = character["id"]
        players.append(player)
    return Cast(mj, players, partie["id"])


# --------------------------------------------------------------------------------------------
# The writers


class Load:
    """Client threads writing to one session until told to stop; every outcome is kept."""

    def __init__(self, server: Server, cast: Cast, session_id: str, round_tag: str, rng: random.Random):
        self.server = server
        self.cast = cast
        self.sid = session_id
        self.tag = round_tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.seed = rng.randrange(2 ** 32)
        self.threads: list[threading.Thread] = []
        self.failures: list[str] = []

    def record(self, outcome: Outcome) -> Outcome:
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def _guard(self, target, *args):
        def run():
            try:
                target(*args)
            except Exception as error:  # a bug of the test itself: report it, do not hide it
                with self.lock:
                    self.failures.append(f"{target.__name__}{args[:1]}: {error!r}")
        return run

    def start(self) -> None:
        people = [(self.cast.mj, True)] + [(p, False) for p in self.cast.players]
        for index, (person, is_mj) in enumerate(people):
            self.threads.append(threading.Thread(target=self._guard(self.actions, person, is_mj, index),
                                                 name=f"actions-{person.name}", daemon=True))
            self.threads.append(threading.Thread(target=self._guard(self.chat, person, index),
                                                 name=f"chat-{person.name}", daemon=True))
        for thread in self.threads:
            thread.start()

    def join_all(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        alive = [t.name for t in self.threads if t.is_alive()]
        assert not alive, f"des clients ne s'arrêtent pas : {alive}"

    def _pause(self, rng: random.Random, pace: float) -> None:
        self.stop.wait(pace * rng.uniform(0.6, 1.4))

    def chat(self, person: Person, index: int) -> None:
        rng = random.Random(self.seed * 1000 + 500 + index)
        http = requests.Session()
        n = 0
        while not self.stop.is_set():
            n += 1
            body = {"body": f"crash {self.tag} {person.name} n°{n} {secrets.token_hex(4)}"}
            out = self.record(attempt(http, self.server.base, "chat", person.id, person.token,
                                      f"/api/sessions/{self.sid}/messages", body))
            self._pause(rng, 0.5 if out.status == 429 else CHAT_PACE)

    def actions(self, person: Person, is_mj: bool, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        http = requests.Session()
        base = self.server.base
        sid = self.sid
        seated = is_mj
        next_heartbeat = time.monotonic() if is_mj else time.monotonic() + HEARTBEAT_PACE
        while not self.stop.is_set():
            if not seated:
                out = self.record(attempt(http, base, "join", person.id, person.token,
                                          f"/api/sessions/{sid}/join", {"character_id": person.character}))
                if out.result == "ack":
                    seated = True
                    next_heartbeat = time.monotonic() + HEARTBEAT_PACE
                else:
                    self._pause(rng, 0.2)
                continue
            now = time.monotonic()
            if now >= next_heartbeat:
                out = self.record(attempt(http, base, "heartbeat", person.id, person.token,
                                          f"/api/sessions/{sid}/presence", None))
                next_heartbeat = now + HEARTBEAT_PACE * rng.uniform(0.8, 1.2)
            elif not is_mj and rng.random() < 0.05:
                out = self.record(attempt(http, base, "leave", person.id, person.token,
                                          f"/api/sessions/{sid}/leave", None))
                if out.result == "ack":
                    seated = False
                    self._pause(rng, 0.3)   # leave the seat free for a while
                    continue
            else:
                mode = rng.choice(["classic", "advantage", "disadvantage"])
                body = {"visibility": "public", "mode": mode, "reason": f"crash {self.tag}"}
                if not is_mj:
                    body["character_id"] = person.character
                out = self.record(attempt(http, base, "draw", person.id, person.token,
                                          f"/api/sessions/{sid}/draws", body))
                if out.status == 403:      # seat lost (cannot happen: the seat is ours) — rejoin
                    seated = False
            self._pause(rng, 0.5 if out.status == 429 else DRAW_PACE)


# --------------------------------------------------------------------------------------------
# Reading back


def all_messages(api: Api, token: str, sid: str) -> list[dict]:
    pages: list[list[dict]] = []
    before = None
    for _ in range(1000):
        path = f"/api/sessions/{sid}/messages?limit=100" + (f"&before={before}" if before is not None else "")
        page = api.call("GET", path, token)
        items = page["items"]
        ids = [m["id"] for m in items]
        assert ids == sorted(ids) and len(set(ids)) == len(ids), f"page de messages pas dans l'ordre : {ids}"
        if before is not None:
            assert all(i < before for i in ids), "before= rend des messages qui ne sont pas plus anciens"
        pages.append(items)
        if not page["has_more"]:
            break
        assert items, "has_more sur une page vide"
        before = items[0]["id"]
    messages = [m for items in reversed(pages) for m in items]
    ids = [m["id"] for m in messages]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "les pages de messages se chevauchent"
    return messages


def all_draws(api: Api, token: str, sid: str) -> list[dict]:
    items: list[dict] = []
    total = None
    for page in range(1, 1000):
        out = api.call("GET", f"/api/sessions/{sid}/draws?per=100&page={page}", token)
        total = out["metadata"]["total"]
        items += out["items"]
        if len(items) >= total or not out["items"]:
            break
    assert len(items) == total, f"{len(items)} tirages lus pour un total annoncé de {total}"
    ids = [d["id"] for d in items]
    assert len(set(ids)) == len(ids), "un tirage apparaît sur deux pages"
    return items


def card_key(card: dict) -> tuple:
    return (card.get("label"), card.get("origin"), card.get("rank"), card.get("suit"))


def check_deck(draws: list[dict], deck: dict, name: str) -> list[str]:
    """The deck as the game deals it (#24): drawn with replacement, so every card of every draw is
    one of the deck's cards (no pot figure is added here), the two cards of one draw differ, and
    nothing is ever reshuffled. The faults found."""
    faults = []
    in_deck = {(c.get("rank"), c.get("suit")) for c in deck["cards"]}
    if deck["remaining"] != len(deck["cards"]):
        faults.append(f"{name} : remaining {deck['remaining']} pour {len(deck['cards'])} cartes dans le paquet")
    for number, draw in enumerate(draws, 1):
        keys = [(c.get("rank"), c.get("suit")) for c in draw["cards"]]
        strangers = [k for k in keys if k not in in_deck]
        if strangers:
            faults.append(f"{name} : le tirage n°{number} ({draw['id']}) montre {strangers}, absent du paquet")
        if len(set(keys)) != len(keys):
            faults.append(f"{name} : le tirage n°{number} ({draw['id']}) montre deux fois la même carte")
        if draw.get("reshuffled"):
            faults.append(f"{name} : le tirage n°{number} ({draw['id']}) dit avoir remélangé un paquet sans défausse")
    return faults


# --------------------------------------------------------------------------------------------
# The test


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def server(request):
    backend = request.param
    if backend == "postgres" and not (POSTGRES_URL and PG_SCHEMA):
        pytest.skip("ETRANGE_TEST_POSTGRES_URL n'est pas défini : pas de passe PostgreSQL.")
    if backend == "sqlite" and not SQLITE_URL:
        pytest.skip("ETRANGE_CRASH_SQLITE_URL manque.")
    srv = Server(backend)
    yield srv
    srv.stop()


def test_sigkill_during_writes(server: Server):
    rng = random.Random(f"{SEED}-{server.backend}")
    log(f"[{server.backend}] graine {SEED} (ETRANGE_CRASH_SEED={SEED} pour rejouer), {ROUNDS} tour(s), "
        f"port {server.port}")
    first_start = server.start()
    log(f"[{server.backend}] premier démarrage (base neuve, migrations) : {first_start:.2f} s")
    assert_clean_start(server, first=True)
    api = Api(server)
    tag = secrets.token_hex(3)
    cast = seed_cast(api, tag)
    finished_sessions: list[str] = []
    for round_number in range(1, ROUNDS + 1):
        finished_sessions.append(run_round(server, api, cast, rng, f"{tag}r{round_number}", round_number))
    # Sessions of earlier rounds stay where they were left.
    for sid in finished_sessions:
        s = api.call("GET", f"/api/sessions/{sid}", cast.mj.token)
        assert s["status"] == "completed" and s["ended_at"], f"session {sid} : {s['status']}"
    assert_no_errors_logged(server)


def test_sigterm_while_clients_reconnect(server: Server):
    """A deploy stops the server (SIGTERM) while phones hold live sockets that reconnect at once
    and requests keep coming: each stop must end with status 0 and no crash, and the live clients
    must be told why (close code 1001). Before `GracefulStop` the databases could close under a
    request still arriving: a crash in 5 stops out of 5 with these clients."""
    server.start()
    api = Api(server)
    cast = seed_cast(api, secrets.token_hex(3))
    sid = api.call("POST", "/api/sessions", cast.mj.token, {"partie_id": cast.partie_id, "name": "Arrêt"})["id"]
    api.call("POST", f"/api/sessions/{sid}/start", cast.mj.token)
    for player in cast.players[:MAX_PLAYERS]:
        api.call("POST", f"/api/sessions/{sid}/join", player.token, {"character_id": player.character})
    people = [cast.mj] + cast.players[:MAX_PLAYERS]
    for round_number in range(1, STOP_ROUNDS + 1):
        if round_number > 1:
            server.start()
        stop = threading.Event()
        seen: Counter = Counter()
        lock = threading.Lock()

        def count(what: str) -> None:
            with lock:
                seen[what] += 1

        def live(person: Person) -> None:
            url = f"ws://127.0.0.1:{server.port}/api/sessions/{sid}/live?token={person.token}"
            while not stop.is_set():
                try:
                    with connect(url, open_timeout=2, close_timeout=2) as socket_:
                        count("opened")
                        while not stop.is_set():
                            socket_.recv(timeout=1)
                except TimeoutError:
                    continue
                except ConnectionClosed as closed:
                    count(f"closed {closed.rcvd.code if closed.rcvd else 'without code'}")
                except InvalidHandshake:
                    # A reconnection that reaches the stopping server is answered `Connection:
                    # close`: a phone tries again, here or elsewhere.
                    count("handshake refused")
                    time.sleep(0.01)
                except OSError:
                    time.sleep(0.01)

        def requests_loop(person: Person) -> None:
            http = requests.Session()
            while not stop.is_set():
                try:
                    http.get(f"{server.base}/api/sessions/{sid}/presence",
                             headers={"Authorization": f"Bearer {person.token}"}, timeout=2)
                    http.post(f"{server.base}/api/sessions/{sid}/presence",
                              headers={"Authorization": f"Bearer {person.token}"}, timeout=2)
                    count("requests")
                except requests.RequestException:
                    time.sleep(0.01)

        threads = [threading.Thread(target=live, args=(person,), daemon=True) for person in people for _ in range(3)]
        threads += [threading.Thread(target=requests_loop, args=(person,), daemon=True) for person in people]
        for thread in threads:
            thread.start()
        began = time.monotonic()
        while (seen["opened"] < len(people) or seen["requests"] < 20) and time.monotonic() - began < 30:
            time.sleep(0.05)
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        server.stop()
        text = server.log_text()
        log(f"[{server.backend}] arrêt n° {round_number} : code {code}, {dict(seen)}")
        assert_clean_stop(server, round_number, code, text)
        assert seen["opened"] >= len(people), f"[{server.backend}] sockets ouvertes : {dict(seen)}"
        assert seen["closed 1001"] > 0, f"[{server.backend}] personne n'a reçu 1001 : {dict(seen)}"
    assert_no_errors_logged(server)


def test_sigterm_after_clients_hang_up(server: Server):
    """Browsers that leave a page while the server stops: a client that hangs up closes its
    connection at once, and the server's own stop waits for connections, not for the handlers
    still answering them. Before `RequestsInFlight` such a handler could ask for a database that
    had closed, and Fluent crashed the server: 3 stops in 8 with these clients."""
    server.start()
    api = Api(server)
    tag = secrets.token_hex(3)
    mj = api.call("POST", "/api/auth/register", body={"username": f"mj_{tag}", "password": PASSWORD})["token"]
    partie = api.call("POST", "/api/parties", mj, {"name": f"Départs {tag}"})["id"]
    for index in range(3):
        api.call("POST", "/api/sessions", mj, {"partie_id": partie, "name": f"Soirée {index}"})
    ask = (f"GET /api/sessions?partie_id={partie} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Authorization: Bearer {mj}\r\n\r\n").encode()
    # Closed with a reset, as a browser tab that goes away: nothing waits for the answer.
    reset = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
    for round_number in range(1, ABANDON_ROUNDS + 1):
        if round_number > 1:
            server.start()
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(ABANDONING_CLIENTS)]
        for client in clients:
            client.sendall(ask)
        time.sleep(ABANDON_AFTER[round_number % len(ABANDON_AFTER)])
        for client in clients:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset)
            client.close()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=30)
        server.stop()
        text = server.log_text()
        answered = text.count("GET /api/sessions 200")
        log(f"[{server.backend}] arrêt n° {round_number} : code {code}, {answered} listes servies")
        assert_clean_stop(server, round_number, code, text)
        assert answered > 0, f"[{server.backend}] arrêt n° {round_number} : aucune liste servie"
    assert_no_errors_logged(server)


def assert_clean_stop(server: Server, round_number: int, code: int, text: str) -> None:
    """A SIGTERM stop: status 0, no crash and no request left unanswered in the log."""
    assert code == 0, f"[{server.backend}] arrêt n° {round_number} : code {code}\n{server.log_tail(80)}"
    for sign in ("Fatal error", "Unexpectedly found nil", "Crash", "backtrace", "still being answered"):
        assert sign not in text, f"[{server.backend}] arrêt n° {round_number} : « {sign} »\n{server.log_tail(80)}"


def assert_clean_start(server: Server, first: bool) -> None:
    text = server.log_text()
    assert "Server started on" in text, f"[{server.backend}] pas de « Server started » :\n{server.log_tail()}"
    startup = text.split("Server started on", 1)[0]
    bad = [line for line in startup.splitlines()
           if re.match(r"\[ (WARNING|ERROR|CRITICAL) \]", line)]
    assert not bad, f"[{server.backend}] démarrage pas propre :\n" + "\n".join(bad)
    prepared = re.findall(r"Starting prepare .*migration: ([\w.]+)", startup)
    if first:
        assert prepared, f"[{server.backend}] aucune migration au premier démarrage ?"
    else:
        assert not prepared, f"[{server.backend}] des migrations rejouées au redémarrage : {prepared}"


def assert_no_errors_logged(server: Server) -> None:
    bad = []
    for path in sorted(server.dir.glob("server-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if re.match(r"\[ (ERROR|CRITICAL) \]", line) or "sweeper failed" in line:
                bad.append(f"{path.name}: {line}")
    assert not bad, f"[{server.backend}] erreurs dans les journaux :\n" + "\n".join(bad[:40])


def run_round(server: Server, api: Api, cast: Cast, rng: random.Random, rtag: str, round_number: int) -> str:
    """One session: writes, SIGKILL, restart, checks, sweep, pause and end. Returns its id."""
    b = f"[{server.backend} tour {round_number}]"
    mj = cast.mj
    session_name = f"Crash {rtag}"
    session = api.call("POST", "/api/sessions", mj.token,
                       {"partie_id": cast.partie_id, "name": session_name, "max_players": MAX_PLAYERS})
    sid = session["id"]
    started = api.call("POST", f"/api/sessions/{sid}/start", mj.token)
    assert started["status"] == "active"

    # Draws already in the journal when the load begins, both modes.
    for number in range(PRIME_DRAWS):
        api.call("POST", f"/api/sessions/{sid}/draws", mj.token,
                 {"visibility": "public", "mode": "advantage" if number else "classic", "reason": "mise en place"})

    # ---- writes, then SIGKILL in the middle of them: once every kind of write has been
    # acknowledged a few times (the machine may be slow), after a random delay.
    load = Load(server, cast, sid, rtag, rng)
    crash_delay = rng.uniform(*CRASH_WINDOW)
    load_began = time.monotonic()
    load.start()
    try:
        while time.monotonic() - load_began < WARMUP_LIMIT:
            with load.lock:
                acks = Counter(o.kind for o in load.outcomes if o.result == "ack")
            if all(acks[kind] >= WARMUP_ACKS for kind in ("join", "heartbeat", "chat", "draw")):
                break
            time.sleep(0.05)
        warm = time.monotonic()
        time.sleep(crash_delay)
        killed_at = server.kill()
        time.sleep(0.5)            # the clients meet the dead server
    finally:
        load.stop.set()
    load.join_all()
    assert not load.failures, f"{b} le client de test a planté : {load.failures}"

    outcomes = sorted(load.outcomes, key=lambda o: o.started)
    by = defaultdict(Counter)
    for o in outcomes:
        by[o.kind][o.result if o.result != "refused" else f"refused {o.status}"] += 1
    cut_in_flight = [o for o in outcomes if o.result == "cut" and o.started < killed_at]
    after_kill = [o for o in outcomes if o.started >= killed_at]
    acked = [o for o in outcomes if o.result == "ack"]
    log(f"{b} SIGKILL {killed_at - load_began:.2f} s après le début des écritures "
        f"({warm - load_began:.2f} s de mise en train + {crash_delay:.2f} s) ; "
        f"{len(outcomes)} requêtes, {len(acked)} acquittées ; "
        f"{len(cut_in_flight)} coupées en vol, {len(after_kill)} envoyées après la mort")
    for kind in ("join", "leave", "heartbeat", "chat", "draw"):
        times = sorted(o.ended - o.started for o in outcomes if o.kind == kind and o.result == "ack")
        latency = f" (médiane {times[len(times) // 2] * 1000:.0f} ms)" if times else ""
        log(f"{b}   {kind:9s} " + (", ".join(f"{k}: {v}" for k, v in sorted(by[kind].items())) or "aucun") + latency)
    server_errors = [o for o in outcomes if o.result == "server_error"]
    assert not server_errors, f"{b} réponses 5xx pendant la charge : " + "; ".join(
        f"{o.kind} {o.status} {o.detail}" for o in server_errors[:10])
    assert after_kill and all(o.result == "cut" for o in after_kill), \
        f"{b} les clients devaient encore écrire à la mort du serveur"
    for kind in ("join", "heartbeat", "chat", "draw"):
        assert by[kind]["ack"] > 0, f"{b} aucune écriture « {kind} » acquittée avant la mort : chargement trop lent ?"

    # ---- restart on the same database
    restart = server.start()
    restarted_at = time.monotonic()
    log(f"{b} redémarré en {restart:.2f} s ({restarted_at - killed_at:.2f} s après le SIGKILL)")
    assert_clean_start(server, first=False)

    # Presence right after the restart: only seated people (the MJ as master) can be online.
    presence_now = api.call("GET", f"/api/sessions/{sid}/presence", mj.token)
    participants = api.call("GET", f"/api/sessions/{sid}/participants", mj.token)
    active_users = {p["user_id"] for p in participants if p["is_active"]}
    for p in presence_now:
        assert p["is_online"], f"{b} /presence liste quelqu'un hors ligne : {p}"
        assert p["user_id"] in active_users, f"{b} {p['username']} en ligne sans place active"

    # ---- the session
    s = api.call("GET", f"/api/sessions/{sid}", mj.token)
    assert s["status"] in VALID_STATUSES, f"{b} statut inconnu {s['status']}"
    assert s["status"] == "active", f"{b} personne n'a changé le statut, il est pourtant « {s['status']} »"
    check_session_shape(s, b)

    # ---- seats
    by_user = {p["user_id"]: p for p in participants}
    assert len(by_user) == len(participants), f"{b} deux lignes de participant pour une personne"
    seated_players = [p for p in participants if p["role"] == "player" and p["is_active"]]
    assert len(seated_players) <= MAX_PLAYERS, f"{b} {len(seated_players)} joueurs assis pour {MAX_PLAYERS} places"
    assert s["seated_players"] == len(seated_players), \
        f"{b} seated_players={s['seated_players']} mais {len(seated_players)} joueurs actifs"
    for p in participants:
        if p["is_active"]:
            assert p.get("left_at") is None, f"{b} {p['username']} actif avec left_at={p.get('left_at')}"
        else:
            assert p.get("left_at") is not None, f"{b} {p['username']} inactif sans left_at"
    seat_faults = []
    for player in cast.players:
        ops = [o for o in outcomes if o.user == player.id and o.kind in ("join", "leave")]
        state = None              # unknown before any acknowledged join: not seated
        possible = {False}
        for o in ops:
            if o.result == "ack":
                state = o.kind == "join"
                possible = {state}
            elif o.result == "cut":
                possible = possible | {o.kind == "join"}
        row = by_user.get(player.id)
        if any(o.kind == "join" and o.result == "ack" for o in ops):
            if row is None:
                seat_faults.append(f"{player.name} : place acquittée, absente des participants")
                continue
            if row.get("character_id") != player.character or row["role"] != "player":
                seat_faults.append(f"{player.name} : {row['role']} avec {row.get('character_id')}")
        actual = bool(row and row["is_active"])
        if actual not in possible:
            last = [f"{o.kind}:{o.result}{'' if o.status is None else o.status}" for o in ops[-4:]]
            seat_faults.append(f"{player.name} : is_active={actual}, attendu {possible} (derniers : {last})")
    assert not seat_faults, f"{b} places :\n" + "\n".join(seat_faults)

    # ---- chat
    messages = all_messages(api, mj.token, sid)
    stored = {m["id"]: m for m in messages}
    texts = Counter(m["body"] for m in messages if m["kind"] == "text")
    chat_acked = [o for o in outcomes if o.kind == "chat" and o.result == "ack"]
    chat_cut = {o.sent["body"] for o in outcomes if o.kind == "chat" and o.result == "cut"}
    chat_refused = {o.sent["body"] for o in outcomes if o.kind == "chat" and o.result == "refused"}
    lost = []
    for o in chat_acked:
        m = stored.get(o.data["id"])
        if m is None or m["body"] != o.sent["body"] or m["kind"] != "text" or m.get("user_id") != o.user:
            lost.append(f"message {o.data['id']} « {o.sent['body']} » : {m}")
    assert not lost, f"{b} {len(lost)} message(s) acquitté(s) perdu(s) ou changé(s) :\n" + "\n".join(lost[:20])
    dup = [body for body, n in texts.items() if n > 1]
    assert not dup, f"{b} messages en double : {dup[:10]}"
    acked_bodies = {o.sent["body"] for o in chat_acked}
    strangers = [body for body in texts if body not in acked_bodies and body not in chat_cut]
    assert not strangers, f"{b} messages présents sans avoir été acquittés ni coupés : {strangers[:10]}"
    refused_present = [body for body in texts if body in chat_refused]
    assert not refused_present, f"{b} messages refusés (4xx) pourtant écrits : {refused_present[:10]}"
    chat_unacked_kept = sum(1 for body in texts if body in chat_cut)
    system = [m for m in messages if m["kind"] == "system"]
    assert len(system) == 1, f"{b} {len(system)} messages système pour un seul démarrage : {system}"

    # ---- draws
    draws = all_draws(api, mj.token, sid)
    draws_by_id = {d["id"]: d for d in draws}
    draw_acked = [o for o in outcomes if o.kind == "draw" and o.result == "ack"]
    lost = []
    for o in draw_acked:
        d = draws_by_id.get(o.data["id"])
        if d is None:
            lost.append(f"tirage {o.data['id']} de l'utilisateur {o.user} absent")
        elif [card_key(c) for c in d["cards"]] != [card_key(c) for c in o.data["cards"]] \
                or d.get("character_id") != o.data.get("character_id") or d["user_id"] != o.user:
            lost.append(f"tirage {o.data['id']} changé : {o.data['cards']} → {d['cards']}")
    assert not lost, f"{b} {len(lost)} tirage(s) acquitté(s) perdu(s) ou changé(s) :\n" + "\n".join(lost[:20])
    per_user_possible = Counter(o.user for o in outcomes if o.kind == "draw" and o.result in ("ack", "cut"))
    per_user_possible[mj.id] += PRIME_DRAWS
    per_user_stored = Counter(d["user_id"] for d in draws)
    extra = {u: n for u, n in per_user_stored.items() if n > per_user_possible[u]}
    assert not extra, f"{b} plus de tirages écrits qu'envoyés (hors refus) : {extra} / {dict(per_user_possible)}"
    draw_unacked_kept = len(draws) - PRIME_DRAWS - len({o.data["id"] for o in draw_acked})

    # Every public draw has exactly one chat line, and every chat line of a draw its draw. The
    # chat's ids, handed out under the session's lock, give the order the draws were made in.
    draw_lines = defaultdict(list)
    for m in messages:
        if m["kind"] == "draw":
            assert m.get("draw_id") in draws_by_id, f"{b} ligne de chat d'un tirage inconnu : {m}"
            draw_lines[m.get("draw_id")].append(m["id"])
    orphans = [d["id"] for d in draws if len(draw_lines.get(d["id"], [])) != 1]
    assert not orphans, f"{b} tirages sans leur (unique) ligne de chat : {orphans[:10]}"
    order = {draw_id: lines[0] for draw_id, lines in draw_lines.items()}

    decks = defaultdict(list)
    for d in draws:
        decks[d.get("character_id") or f"mj:{d['user_id']}"].append(d)
    deck_faults = []
    characters = {p.character: p for p in cast.players}
    for key, items in decks.items():
        if key.startswith("mj:"):
            deck = api.call("GET", f"/api/sessions/{sid}/decks/mj", mj.token)
        else:
            deck = api.call("GET", f"/api/sessions/{sid}/decks/{key}", characters[key].token)
        deck_faults += check_deck(sorted(items, key=lambda d: order[d["id"]]), deck, key)
    assert not deck_faults, f"{b} paquets :\n" + "\n".join(deck_faults[:20])

    # ---- the live journal and the clocks, read in the database
    name = session_name.replace("'", "''")
    seqs = server.sql(
        "SELECT count(*), count(DISTINCT e.seq), min(e.seq), max(e.seq) FROM session_events e "
        f"JOIN sessions s ON s.id = e.session_id WHERE s.name = '{name}'")[0]
    assert seqs[0] == seqs[1] == seqs[3] and seqs[2] == 1, \
        f"{b} journal en direct : {seqs[0]} événements, {seqs[1]} numéros distincts, de {seqs[2]} à {seqs[3]}"
    types = dict(server.sql(
        "SELECT e.type, count(*) FROM session_events e JOIN sessions s ON s.id = e.session_id "
        f"WHERE s.name = '{name}' GROUP BY e.type"))
    assert types.get("chat.message", 0) == len(messages), \
        f"{b} {types.get('chat.message', 0)} événements chat.message pour {len(messages)} messages"
    assert types.get("cards.drawn", 0) == len(draws), \
        f"{b} {types.get('cards.drawn', 0)} événements cards.drawn pour {len(draws)} tirages"
    running = server.sql(
        f"SELECT status, CASE WHEN active_since IS NULL THEN 0 ELSE 1 END FROM sessions WHERE name = '{name}'")
    assert running == [("active", 1)], f"{b} session active sans horloge (ou l'inverse) : {running}"
    orphan_presence = server.sql(
        "SELECT count(*) FROM session_presence pr JOIN sessions s ON s.id = pr.session_id "
        "LEFT JOIN session_participants pa ON pa.session_id = pr.session_id AND pa.user_id = pr.user_id "
        f"WHERE s.name = '{name}' AND pr.is_online AND (pa.id IS NULL OR NOT pa.is_active)")[0][0]
    assert orphan_presence == 0, f"{b} {orphan_presence} présence(s) en ligne sans place active"

    log(f"{b} relu : {len(chat_acked)} messages acquittés tous là (+{chat_unacked_kept} coupés mais écrits), "
        f"{len(draw_acked)} tirages acquittés tous là (+{draw_unacked_kept} coupés mais écrits), "
        f"{len(decks)} paquets cohérents, {len(seated_players)} joueurs assis, "
        f"{len(presence_now)} en ligne au redémarrage, journal 1…{seqs[3]} sans trou")

    # ---- the sweep: no heartbeat any more, everyone offline within the timeout
    # A heartbeat cut by the kill may have been written: the last sign of life is at most the kill.
    limit = max(killed_at + PRESENCE_TIMEOUT, restarted_at) + 2 * SWEEP_INTERVAL + 1.0
    if restarted_at < killed_at + PRESENCE_TIMEOUT - 1:
        assert presence_now, f"{b} personne en ligne au redémarrage : le balayage n'aurait rien à faire"
    gone_at: dict[int, float] = {}
    online = {p["user_id"] for p in presence_now}
    while True:
        presence = api.call("GET", f"/api/sessions/{sid}/presence", mj.token)
        now = time.monotonic()
        still = {p["user_id"] for p in presence}
        for user in online - still:
            gone_at.setdefault(user, now)
        if not presence or now > limit + 5:
            break
        time.sleep(0.1)
    assert not presence, (f"{b} encore en ligne {now - killed_at:.1f} s après le SIGKILL "
                          f"({now - restarted_at:.1f} s après le redémarrage) : "
                          f"{[p['username'] for p in presence]}")
    assert now <= limit, f"{b} balayé trop tard : {now - killed_at:.2f} s après la mort, limite {limit - killed_at:.2f} s"
    # Nor too early: nobody is swept before the timeout has run from their last acknowledged sign
    # of life (the server stamps it after the request left, hence after `started`).
    early = []
    margins = []
    for user, at in gone_at.items():
        signs = [o.started for o in outcomes
                 if o.user == user and o.kind in ("heartbeat", "join") and o.result == "ack"]
        if not signs:
            continue
        margins.append(at - max(signs))
        if at < max(signs) + PRESENCE_TIMEOUT - 0.2:
            early.append(f"utilisateur {user} balayé {at - max(signs):.2f} s après son dernier signe de vie")
    log(f"{b} balayage : plus personne en ligne {now - killed_at:.2f} s après le SIGKILL, "
        f"{now - restarted_at:.2f} s après le redémarrage (limite {limit - killed_at:.2f} s) ; chacun entre "
        f"{min(margins, default=0):.2f} et {max(margins, default=0):.2f} s après l'envoi de son dernier signe de "
        f"vie acquitté (délai {PRESENCE_TIMEOUT} s, balayage toutes les {SWEEP_INTERVAL} s)")
    assert not early, f"{b} balayé avant le délai de {PRESENCE_TIMEOUT} s : {early}"
    swept = api.call("GET", f"/api/sessions/{sid}/participants", mj.token)
    assert not any(p["is_online"] for p in swept), f"{b} participants encore en ligne après le balayage"
    assert {p["user_id"] for p in swept if p["is_active"]} == active_users, \
        f"{b} le balayage a changé les places (il ne doit que mettre hors ligne)"
    ticking = server.sql(
        "SELECT count(*) FROM session_participants pa JOIN sessions s ON s.id = pa.session_id "
        f"WHERE s.name = '{name}' AND pa.playing_since IS NOT NULL")[0][0]
    assert ticking == 0, f"{b} {ticking} horloge(s) de jeu tournent encore pour des gens hors ligne"

    # ---- the server still works: pause, end
    paused = api.call("POST", f"/api/sessions/{sid}/pause", mj.token)
    assert paused["status"] == "paused"
    check_session_shape(paused, b)
    ended = api.call("POST", f"/api/sessions/{sid}/end", mj.token, {"summary": f"Fin du tour {round_number}."})
    assert ended["status"] == "completed"
    check_session_shape(ended, b)
    after = api.call("GET", f"/api/sessions/{sid}/participants", mj.token)
    assert not any(p["is_active"] or p["is_online"] for p in after), f"{b} des places restent ouvertes après la fin"
    tail = all_messages(api, mj.token, sid)
    assert len([m for m in tail if m["kind"] == "system"]) == 3, f"{b} messages système après pause et fin"
    refused = api.call("POST", f"/api/sessions/{sid}/messages", mj.token, {"body": "trop tard"}, expect=(409,))
    assert refused["status"] == 409
    return sid


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_session_shape(s: dict, b: str) -> None:
    status = s["status"]
    assert status in VALID_STATUSES, f"{b} statut inconnu {status}"
    if status in ("active", "paused", "completed"):
        assert s["started_at"], f"{b} « {status} » sans started_at"
    if status == "scheduled":
        assert s["started_at"] is None, f"{b} « scheduled » avec started_at"
    if status in ("completed", "cancelled"):
        assert s["ended_at"], f"{b} « {status} » sans ended_at"
    else:
        assert s["ended_at"] is None, f"{b} « {status} » avec ended_at={s['ended_at']}"
    if s["started_at"] and s["ended_at"]:
        assert instant(s["ended_at"]) >= instant(s["started_at"]), f"{b} ended_at avant started_at"
    # A finished session counts everyone who played in it (#25's attendance finding), who may be
    # more than its seats when people came and went; a session not over counts who sits now.
    if status not in ("completed", "cancelled"):
        assert s["seated_players"] <= s["max_players"], f"{b} {s['seated_players']} assis pour {s['max_players']} places"
