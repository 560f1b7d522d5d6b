"""Two instances on one PostgreSQL database serve the same handout: the bytes live in the
database, not on the disk of the instance that received the upload. Run by Tests/multi/run.sh."""

from __future__ import annotations

import base64

import pytest

from instances import A, B  # first: it puts Tests/lib, jsonapi's folder, on the path
from jsonapi import call, checked, register

requests = pytest.importorskip("requests")

# 16 × 8 black pixels written by libvips (`vips black`, `vips pngsave --strip`).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAICAIAAAB/FOjAAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAADklEQVQYlWNgGAWDAQAAAYgAAfkpKZAAAAAASUVORK5CYII=")



def test_a_handout_uploaded_on_one_instance_is_served_by_the_other():
    mj, _ = register(A, "mj")
    player, player_id = register(B, "joueuse")
    partie = call(A, "POST", "/api/parties", mj, {"name": "Deux instances"})
    call(B, "POST", "/api/parties/join", player, {"invite_code": partie["invite_code"]})

    upload = requests.post(
        f"{A}/api/parties/{partie['id']}/handouts", headers={"Authorization": f"Bearer {mj}"},
        data={"title": "Plan du métro"}, files={"file": ("plan.png", PNG, "image/png")}, timeout=15)
    handout = checked(upload, (201,), "POST handouts sur A")
    call(B, "POST", f"/api/handouts/{handout['id']}/show", mj, {"user_ids": [player_id]})

    from_a = requests.get(A + handout["file_url"], headers={"Authorization": f"Bearer {mj}"}, timeout=15)
    from_b = requests.get(B + handout["file_url"], headers={"Authorization": f"Bearer {player}"}, timeout=15)
    assert from_a.status_code == 200 and from_b.status_code == 200, (from_a.status_code, from_b.text[:200])
    assert from_b.content == from_a.content
    assert from_b.headers["Content-Type"] == "image/png"
    assert from_b.headers["ETag"] == from_a.headers["ETag"]

    listed = call(B, "GET", f"/api/parties/{partie['id']}/handouts", player)
    assert [item["id"] for item in listed] == [handout["id"]]
    call(B, "DELETE", f"/api/handouts/{handout['id']}", mj, expect=(204,))
    gone = requests.get(A + handout["file_url"], headers={"Authorization": f"Bearer {mj}"}, timeout=15)
    assert gone.status_code == 404
