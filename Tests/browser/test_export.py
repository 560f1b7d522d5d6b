"""Taking one's data (issue #27, point 3): on the account page a player presses « Télécharger mes
données » and the browser saves `etrange-donnees-<id>.json`, the document of `GET /api/me/export`
with their character, their lines and their seat, and nothing of another player's private line.

Shares the server of run.sh with the other browser tests; its own accounts, made through the API.
Chromium saves the file into a folder of the test's (DevTools' download behaviour). Screenshots go
to artifacts/screenshots/ as 27-export-*.png at phone and laptop sizes.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from pathlib import Path

from test_story import BASE_URL, api, ok, css, make_browser, seated_table, shoot, sign_in, wait_page, wait_text


def test_the_account_page_downloads_my_data():
    tag = secrets.token_hex(3)
    made, partie, session = seated_table(
        [("mj", f"meneuse{tag}", "La Meneuse"), ("player", f"exporte{tag}", "Armand"),
         ("other", f"voisine{tag}", "Berthe")],
        "La partie exportée", "La soirée exportée")
    player, mj, other = made["player"], made["mj"], made["other"]
    lines = f"/api/sessions/{session['id']}/messages"
    ok(api("POST", lines, player["token"], {"body": "Armand écrit ceci"}))
    ok(api("POST", lines, mj["token"], {"body": "Pour Armand seul", "scope": "private",
                                         "recipient_ids": [player["user"]["id"]]}))
    # Another player's private line, which must stay out of Armand's file.
    character = ok(api("POST", "/api/characters", other["token"], {"name": "Berthe", "partie_id": partie["id"]}))
    ok(api("POST", f"/api/sessions/{session['id']}/join", other["token"], {"character_id": character["id"]}))
    ok(api("POST", lines, other["token"], {"body": "Berthe au MJ en secret", "scope": "private"}))

    folder = Path(tempfile.mkdtemp(prefix="etrange-export-"))
    browser = make_browser()
    try:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
        sign_in(browser, player)
        browser.get(f"{BASE_URL}/#/compte")
        wait_page(browser, "Mon compte")
        wait_text(browser, "#my-data", "Télécharger mes données")
        shoot(browser, "27-export-account", section="#my-data")
        css(browser, "[data-testid=data-export]").click()
        wait_text(browser, "body", "Vos données sont téléchargées")
        expected = folder / f"etrange-donnees-{player['user']['id']}.json"
        deadline = time.monotonic() + 20
        while not expected.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert expected.exists(), list(folder.iterdir())
        document = json.loads(expected.read_text(encoding="utf-8"))
        assert document["format"] == "etrange-export/1"
        assert document["account"]["username"] == player["user"]["username"]
        assert [c["name"] for c in document["characters"]] == ["Armand"]
        assert {m["body"] for m in document["messages"]} == {"Armand écrit ceci", "Pour Armand seul"}
        assert [p["session_name"] for p in document["participations"]] == ["La soirée exportée"]
        assert "Berthe au MJ en secret" not in expected.read_text(encoding="utf-8")
        assert "password_hash" not in {key for key in document["account"]}
        shoot(browser, "27-export-page")
    finally:
        browser.quit()
