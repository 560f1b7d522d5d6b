"""Two instances of the server on one PostgreSQL database: what happens on one reaches the live
sockets of the other within a second, through LISTEN/NOTIFY, numbered without gap or duplicate.

Needs two running instances sharing a database: ETRANGE_A and ETRANGE_B are their base URLs
(Tests/multi/run.sh starts them). The steps are ordered tests sharing one story:

1. a player connects through B (POST …/presence): the MJ's socket on A sees `presence.online`;
2. the MJ pauses through A: the player's socket on B sees `session.status` "paused";
3. the MJ's socket on A closes, two changes are made through B, the MJ reconnects to B with
   `since`: the missed events come first, exactly the next numbers, none twice.

Run with `-s` to see the measured latencies.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from instances import A, B  # first: it puts Tests/lib, jsonapi's folder, on the path
from jsonapi import PASSWORD, checked, json_request, register

requests = pytest.importorskip("requests")
ws_client = pytest.importorskip("websockets.sync.client")

LIMIT = 1.0            # the acceptance criterion, in seconds
PATIENCE = 10.0        # how long to wait for what is not being timed


def log(message: str) -> None:
    print(f"[multi] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# HTTP


def call(base: str, method: str, path: str, token: str | None = None, body=None,
         expect: tuple[int, ...] = (200, 201, 204)):
    headers, data = json_request(token, body)
    response = requests.request(method, base + path, headers=headers, data=data, timeout=15)
    instance = "A" if base == A else "B"
    return checked(response, expect, f"{method} {path} sur l'instance {instance}")


def ws_url(base: str, session_id: str, token: str, since: int | None = None) -> str:
    parts = urlsplit(base)
    url = f"ws://{parts.netloc}/api/sessions/{session_id}/live?token={token}"
    if since is not None:
        url += f"&since={since}"
    return url


# --------------------------------------------------------------------------------------------
# A live socket read on a thread of its own, every frame stamped when it arrives


class LiveSocket:
    def __init__(self, name: str, url: str):
        self.name = name
        self.frames: list[tuple[float, dict]] = []
        self.ended: str | None = None
        self._cond = threading.Condition()
        options = dict(open_timeout=PATIENCE, close_timeout=2, max_size=2 ** 22)
        self._stack = contextlib.ExitStack()
        try:  # websockets ≥ 17 wants connect() as a context manager; older ones lack the flag
            opener = ws_client.connect(url, legacy=False, **options)
        except TypeError:
            opener = ws_client.connect(url, **options)
        self._conn = self._stack.enter_context(opener)
        self._thread = threading.Thread(target=self._read, name=f"ws-{name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        reason = "fermée"
        try:
            for text in self._conn:
                now = time.monotonic()
                try:
                    message = json.loads(text)
                except (TypeError, ValueError):
                    message = {"unparsed": text}
                with self._cond:
                    self.frames.append((now, message))
                    self._cond.notify_all()
        except Exception as error:  # a failure to report, not to hide
            reason = f"erreur : {error!r}"
        finally:
            code = getattr(self._conn, "close_code", None)
            with self._cond:
                self.ended = f"{reason} (code {code})"
                self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.frames)

    def wait_for(self, predicate, deadline: float, start: int = 0) -> tuple[float, dict] | None:
        """The first frame from index `start` that satisfies `predicate`, or None at the deadline."""
        with self._cond:
            index = start
            while True:
                while index < len(self.frames):
                    stamp, message = self.frames[index]
                    if predicate(message):
                        return stamp, message
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.ended is not None:
                    return None
                self._cond.wait(remaining)

    def events(self) -> list[dict]:
        with self._cond:
            return [message for _, message in self.frames if "seq" in message]

    def controls(self) -> list[dict]:
        with self._cond:
            return [message for _, message in self.frames if "seq" not in message]

    def last_seq(self) -> int:
        events = self.events()
        return events[-1]["seq"] if events else 0

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._thread.join(timeout=5)


def is_event(kind: str, **data):
    def predicate(message: dict) -> bool:
        if message.get("type") != kind or "seq" not in message:
            return False
        payload = message.get("data") or {}
        return all(payload.get(key) == value for key, value in data.items())
    return predicate


def describe(events: list[dict]) -> str:
    return ", ".join(f"{e['seq']}:{e['type']}" for e in events) or "(aucun)"


def assert_contiguous(socket: LiveSocket, first: int | None = None) -> list[int]:
    seqs = [event["seq"] for event in socket.events()]
    assert seqs, f"{socket.name} : aucun événement reçu"
    if first is not None:
        assert seqs[0] == first, f"{socket.name} : premier numéro {seqs[0]}, attendu {first} ({describe(socket.events())})"
    expected = list(range(seqs[0], seqs[0] + len(seqs)))
    assert seqs == expected, f"{socket.name} : numéros {seqs}, attendus {expected} (sans trou ni doublon)"
    return seqs


def timed_wait(socket: LiveSocket, predicate, t_request: float, t_response: float, start: int,
               what: str) -> tuple[float, float]:
    """Waits for the event; asserts it arrived within LIMIT of the response that produced it.
    When it is late, waits on a little to tell "late" from "never" in the failure."""
    found = socket.wait_for(predicate, t_response + LIMIT, start)
    if found is None:
        late = socket.wait_for(predicate, time.monotonic() + PATIENCE, start)
        seen = describe([m for _, m in socket.frames[start:] if "seq" in m])
        if late is None:
            pytest.fail(f"{what} : jamais arrivé sur {socket.name} en {LIMIT + PATIENCE:.0f} s "
                        f"(reçu depuis : {seen}; socket : {socket.ended or 'ouverte'})")
        pytest.fail(f"{what} : arrivé sur {socket.name} {late[0] - t_response:.3f} s après la réponse, "
                    f"au-delà de {LIMIT} s")
    stamp, message = found
    latency = stamp - t_response
    relative = (f"{latency * 1000:.1f} ms après la réponse HTTP" if latency >= 0
                else f"{-latency * 1000:.1f} ms avant la fin de la réponse HTTP")
    log(f"{what} : reçu sur {socket.name} (seq {message['seq']}) {(stamp - t_request) * 1000:.1f} ms "
        f"après l'envoi de la requête, {relative}")
    assert latency <= LIMIT
    return stamp - t_request, latency


# --------------------------------------------------------------------------------------------
# The story


@dataclass
class Story:
    mj_token: str = ""
    mj_id: int = 0
    player_token: str = ""
    player_id: int = 0
    session_id: str = ""
    sockets: dict[str, LiveSocket] = field(default_factory=dict)
    latencies: dict[str, tuple[float, float]] = field(default_factory=dict)
    failed: str | None = None


@pytest.fixture(scope="module")
def story():
    story = Story()
    # Everything set up through A.
    story.mj_token, story.mj_id = register(A, "mj")
    story.player_token, story.player_id = register(A, "joueur")
    partie = call(A, "POST", "/api/parties", story.mj_token, {"name": "Partie à deux instances"})
    call(A, "POST", "/api/parties/join", story.player_token, {"invite_code": partie["invite_code"]})
    character = call(A, "POST", "/api/characters", story.player_token, {"name": "Irène", "partie_id": partie["id"]})
    session = call(A, "POST", "/api/sessions", story.mj_token, {"partie_id": partie["id"], "name": "Soirée répartie"})
    story.session_id = session["id"]
    call(A, "POST", f"/api/sessions/{story.session_id}/start", story.mj_token)
    call(A, "POST", f"/api/sessions/{story.session_id}/join", story.player_token, {"character_id": character["id"]})
    call(A, "DELETE", f"/api/sessions/{story.session_id}/presence", story.player_token)
    log(f"A = {A}, B = {B}; session {story.session_id}, MJ {story.mj_id}, joueur {story.player_id}")
    yield story
    for socket in story.sockets.values():
        try:
            socket.close()
        except Exception:
            pass
    if story.latencies:
        log("latences (depuis l'envoi de la requête / depuis la fin de sa réponse) : " + ", ".join(
            f"{k} {sent * 1000:.1f} ms / {answered * 1000:+.1f} ms" for k, (sent, answered) in story.latencies.items()))


@pytest.fixture
def step(story, request):
    """Skips a step whose predecessor failed; records this one's failure for the next."""
    if story.failed:
        pytest.skip(f"l'étape précédente a échoué : {story.failed}")
    failures = request.session.testsfailed
    yield story
    # The call's report is logged before the fixtures are torn down.
    if request.session.testsfailed != failures:
        story.failed = request.node.name


def test_presence_through_b_reaches_mj_socket_on_a(step: Story):
    s = step
    mj_a = LiveSocket("MJ@A", ws_url(A, s.session_id, s.mj_token))
    s.sockets["mj_a"] = mj_a
    # Opening the channel seats the MJ and marks them online: their own presence.online, delivered
    # to this socket, shows it is subscribed before anything is timed.
    assert mj_a.wait_for(is_event("presence.online", user_id=s.mj_id), time.monotonic() + PATIENCE), (
        f"MJ@A : sa propre présence n'est jamais arrivée (reçu : {describe(mj_a.events())}; {mj_a.ended or 'ouverte'})")
    start = mj_a.mark()

    t_request = time.monotonic()
    answer = call(B, "POST", f"/api/sessions/{s.session_id}/presence", s.player_token)
    t_response = time.monotonic()
    assert answer["user_id"] == s.player_id and answer["is_online"] is True, answer

    s.latencies["presence.online B→A"] = timed_wait(
        mj_a, is_event("presence.online", user_id=s.player_id), t_request, t_response, start,
        "presence.online du joueur (POST sur B)")
    assert_contiguous(mj_a)


def test_pause_through_a_reaches_player_socket_on_b(step: Story):
    s = step
    mj_a = s.sockets["mj_a"]
    time.sleep(0.2)  # nothing else should be on its way; let a straggler land before reading the head
    head = mj_a.last_seq()
    # With since=head the player's socket cannot miss what follows, and its numbering can be checked
    # from head+1; the pause comes well after its subscription, so it travels live, by NOTIFY.
    player_b = LiveSocket("joueur@B", ws_url(B, s.session_id, s.player_token, since=head))
    s.sockets["player_b"] = player_b
    time.sleep(0.5)
    assert player_b.ended is None, f"joueur@B : socket fermée à l'ouverture ({player_b.ended}; {player_b.controls()})"
    start_b, start_a = player_b.mark(), mj_a.mark()

    t_request = time.monotonic()
    answer = call(A, "POST", f"/api/sessions/{s.session_id}/pause", s.mj_token)
    t_response = time.monotonic()
    assert answer["status"] == "paused", answer

    s.latencies["session.status A→B"] = timed_wait(
        player_b, is_event("session.status", status="paused"), t_request, t_response, start_b,
        "session.status « paused » (POST pause sur A)")
    assert mj_a.wait_for(is_event("session.status", status="paused"), time.monotonic() + PATIENCE, start_a), (
        "MJ@A n'a pas reçu sa propre pause")
    assert_contiguous(mj_a)
    assert_contiguous(player_b, first=head + 1)
    log(f"MJ@A : {describe(mj_a.events())}")
    log(f"joueur@B : {describe(player_b.events())}")


def test_reconnect_with_since_on_the_other_instance(step: Story):
    s = step
    mj_a, player_b = s.sockets["mj_a"], s.sockets["player_b"]
    last = mj_a.last_seq()
    start_b = player_b.mark()
    mj_a.close()
    s.sockets.pop("mj_a")
    log(f"MJ@A fermée après le numéro {last}")
    # Its last socket gone, the MJ goes offline on A; the player's socket on B should see it.
    gone = player_b.wait_for(is_event("presence.offline", user_id=s.mj_id), time.monotonic() + 5, start_b)
    log("presence.offline du MJ " + (f"vu sur joueur@B (seq {gone[1]['seq']})" if gone else "non vu sur joueur@B en 5 s"))

    # Two changes through B while the MJ is away.
    name = f"X-{secrets.token_hex(3)}"
    updated = call(B, "PUT", f"/api/sessions/{s.session_id}", s.mj_token, {"name": name})
    assert updated["name"] == name, updated
    resumed = call(B, "POST", f"/api/sessions/{s.session_id}/resume", s.mj_token)
    assert resumed["status"] == "active", resumed
    found = player_b.wait_for(is_event("session.status", status="active"), time.monotonic() + PATIENCE, start_b)
    assert found, f"joueur@B n'a pas reçu la reprise (reçu : {describe(player_b.events())})"
    head = found[1]["seq"]

    mj_b = LiveSocket("MJ@B", ws_url(B, s.session_id, s.mj_token, since=last))
    s.sockets["mj_b"] = mj_b
    assert mj_b.wait_for(lambda m: m.get("seq", 0) >= head, time.monotonic() + PATIENCE), (
        f"MJ@B (since={last}) : rattrapage incomplet (reçu : {describe(mj_b.events())}; {mj_b.ended or 'ouverte'})")
    # Reconnected, the MJ is online again: wait for it so that the whole stream can be checked.
    back = mj_b.wait_for(is_event("presence.online", user_id=s.mj_id), time.monotonic() + 5)
    time.sleep(0.2)

    events = mj_b.events()
    log(f"MJ@B since={last} : {describe(events)}")
    caught_up = [e for e in events if e["seq"] <= head]
    assert [e["seq"] for e in caught_up] == list(range(last + 1, head + 1)), (
        f"MJ@B : rattrapage {describe(caught_up)}, attendu les numéros {last + 1}…{head}")
    assert [e["seq"] for e in events[:len(caught_up)]] == [e["seq"] for e in caught_up], "rattrapage pas en tête"
    assert any(e["type"] == "session.updated" and e["data"].get("name") == name for e in caught_up), (
        f"session.updated « {name} » absent du rattrapage : {describe(caught_up)}")
    assert any(e["type"] == "session.status" and e["data"].get("status") == "active" for e in caught_up), (
        f"session.status « active » absent du rattrapage : {describe(caught_up)}")
    assert_contiguous(mj_b, first=last + 1)

    # Both instances deliver the same journal: the player's socket on B has the same events.
    by_seq = {e["seq"]: e for e in player_b.events()}
    for event in events:
        if event["seq"] in by_seq:
            assert event == by_seq[event["seq"]], f"seq {event['seq']} diffère : {event} ≠ {by_seq[event['seq']]}"
    assert_contiguous(player_b)
    if back is None:
        log("presence.online du MJ non vu sur MJ@B en 5 s après la reconnexion")


def test_logout_on_one_instance_revokes_the_token_on_the_other():
    """B keeps verified tokens a minute; a logout through A must reach it at once (NOTIFY)."""
    token, _ = register(A, "partant")
    call(B, "GET", "/api/me", token)          # B now holds the token in its cache
    call(B, "GET", "/api/me", token)
    call(A, "POST", "/api/auth/logout", token)
    t0 = time.monotonic()
    while True:
        status = requests.get(B + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=15).status_code
        if status == 401:
            break
        assert status == 200, f"GET /api/me sur B : {status}"
        assert time.monotonic() - t0 < LIMIT, "B accepte encore le jeton une seconde après la déconnexion sur A"
        time.sleep(0.02)
    log(f"jeton révoqué sur B {1000 * (time.monotonic() - t0):.1f} ms après la déconnexion sur A")


def test_new_password_on_one_instance_revokes_every_token_on_the_other():
    token, _ = register(A, "prudent")
    second = call(A, "POST", "/api/auth/login", body={"username": call(A, "GET", "/api/me", token)["username"],
                                                      "password": PASSWORD})["token"]
    call(B, "GET", "/api/me", token)
    call(B, "GET", "/api/me", second)
    fresh = call(A, "POST", "/api/auth/password", token,
                 {"current_password": PASSWORD, "new_password": PASSWORD + "-neuf"})["token"]
    deadline = time.monotonic() + LIMIT
    for old in (token, second):
        while requests.get(B + "/api/me", headers={"Authorization": f"Bearer {old}"}, timeout=15).status_code != 401:
            assert time.monotonic() < deadline, "B accepte encore un ancien jeton après le changement de mot de passe sur A"
            time.sleep(0.02)
    call(B, "GET", "/api/me", fresh)
