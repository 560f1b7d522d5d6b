"""The mobile app's data imported (issue #27, point 5): the host runs `etrange import-app` beside
the server on a dump in the app's format; the app's QR code (a bare UUID) opens the invitation
page, which names the partie and lets a newcomer sign up and join it; the imported MJ signs in on
the page with the password they had in the app, after which their account holds a bcrypt hash of
the password itself.

Shares the server of run.sh with the other browser tests (which hands over the server's binary and
database); its own dump, made here with ids far above the other tests' rows. Screenshots go to
artifacts/screenshots/ as 27-import-*.png at phone and laptop sizes, each checked by axe-core.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from test_story import BASE_URL, PASSWORD, css, fill, make_browser, shoot, wait_page, wait_route, wait_text

BINARY = os.environ.get("ETRANGE_TEST_BINARY")
DATABASE_URL = os.environ.get("ETRANGE_TEST_DATABASE_URL")
APP_PASSWORD = "mon-mot-de-passe-de-l-appli"


def app_dump(folder: Path, mj: str, title: str, qr_code: str) -> int:
    """A dump as the app's CRUD backend serves it: an MJ, a scenario, a partie with its QR code."""
    base = random.randrange(700_000, 900_000)

    def table(name: str, records: list[dict]) -> None:
        (folder / f"{name}.json").write_text(json.dumps({"records": records}, ensure_ascii=False))

    table("users", [{"id": base, "login": mj, "email": f"{mj}@example.fr",
                     "password_hash": hashlib.sha256(APP_PASSWORD.encode()).hexdigest(), "level": 1,
                     "created_at": "2025-09-19 18:00:00"}])
    table("scenarios", [{"id": base, "titre": title, "level": 1, "pitch": "Un 3615 répond la nuit."}])
    table("parties", [{"id": base, "mj_id": base, "scenario_id": base, "qr_code": qr_code,
                       "created_at": "2025-09-22 20:00:00"}])
    return base


@pytest.mark.skipif(not (BINARY and DATABASE_URL), reason="run.sh donne le binaire et la base du serveur")
def test_the_apps_qr_code_and_password_work_after_the_import(tmp_path: Path):
    mj = f"appli_{secrets.token_hex(3)}"
    title = f"Le Minitel hanté {secrets.token_hex(2)}"
    qr_code = str(uuid.uuid4())
    partie_id = app_dump(tmp_path, mj, title, qr_code)
    imported = subprocess.run([BINARY, "import-app", str(tmp_path)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "DATABASE_URL": DATABASE_URL, "ETRANGE_BCRYPT_COST": "4"})
    assert imported.returncode == 0, imported.stderr
    assert "parties : 1 ajouté(s)" in imported.stdout, imported.stdout

    newcomer = make_browser()
    try:
        # What the app's QR code carries is the UUID alone; the invitation address takes it.
        newcomer.get(f"{BASE_URL}/invitation/{qr_code}")
        wait_page(newcomer, "Invitation à une partie")
        wait_text(newcomer, "[data-testid=invitation-partie]", title)
        wait_text(newcomer, "[data-testid=invitation-mj]", mj)
        shoot(newcomer, "27-import-invitation")
        css(newcomer, "[data-testid=invitation-register]").click()
        wait_page(newcomer, "Créer un compte")
        form = css(newcomer, "[data-testid=register-form]")
        fill(form, "username", f"nouveau_{secrets.token_hex(3)}")
        fill(form, "password", PASSWORD)
        css(newcomer, "[data-testid=auth-submit]").click()
        wait_route(newcomer, rf"#/parties/{partie_id}$")
        wait_page(newcomer, title)
    finally:
        newcomer.quit()

    database = DATABASE_URL.removeprefix("sqlite://")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        before = db.execute("SELECT legacy_sha256, password_hash FROM users WHERE id = ?", (partie_id,)).fetchone()
    assert before[0] == 1

    master = make_browser()
    try:
        master.get(f"{BASE_URL}/#/connexion")
        wait_page(master, "Connexion")
        form = css(master, "[data-testid=login-form]")
        fill(form, "username", mj)
        fill(form, "password", APP_PASSWORD)
        css(master, "[data-testid=auth-submit]").click()
        wait_route(master, r"#/parties$")
        wait_text(master, "main", title)
        shoot(master, "27-import-mj-parties")
    finally:
        master.quit()

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        after = db.execute("SELECT legacy_sha256, password_hash FROM users WHERE id = ?", (partie_id,)).fetchone()
    assert after[0] == 0 and after[1] != before[1], "the first login did not re-hash the password"
