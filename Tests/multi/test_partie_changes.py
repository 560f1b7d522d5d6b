"""Two instances on one PostgreSQL database: a member waiting on the partie's changes through one
instance is woken by an answer given through the other (NOTIFY), long before the wait's end.
Run by Tests/multi/run.sh."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from instances import A, B  # first: it puts Tests/lib, jsonapi's folder, on the path
from jsonapi import call, register

requests = pytest.importorskip("requests")



def test_an_answer_on_b_wakes_the_page_waiting_on_a():
    mj, _ = register(A, "mj")
    player, _ = register(B, "joueuse")
    partie = call(A, "POST", "/api/parties", mj, {"name": "Deux instances, un sondage"})
    call(B, "POST", "/api/parties/join", player, {"invite_code": partie["invite_code"]})
    day = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    poll = call(A, "POST", f"/api/parties/{partie['id']}/polls", mj, {
        "name": "La suite", "slots": [(day + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in (0, 1)]})
    seen = call(A, "GET", f"/api/parties/{partie['id']}/changes", mj)["revision"]

    woken: dict = {}

    def wait_on_a():
        began = time.monotonic()
        woken["revision"] = call(A, "GET", f"/api/parties/{partie['id']}/changes?after={seen}", mj,
                                 timeout=40)["revision"]
        woken["after"] = time.monotonic() - began

    waiter = threading.Thread(target=wait_on_a)
    waiter.start()
    time.sleep(0.5)  # the request parked on A
    answered = time.monotonic()
    call(B, "PUT", f"/api/polls/{poll['id']}/answers", player,
         {"answers": [{"slot_id": poll["slots"][0]["id"], "answer": "yes"}]})
    waiter.join(40)
    assert woken.get("revision", seen) > seen, woken
    # The wait lasts 25 s when nothing wakes it.
    assert woken["after"] < 10, f"woken after {woken['after']:.1f} s: by the timeout, not by B's answer"
    print(f"\nA's page woken {time.monotonic() - answered:.2f} s after B's answer")
