"""The game's own cards (issue #24): a player edits the character's sheet on the partie page (Force
2 → 3), then draws a test from it — Force and
Bagarre picked in the draw panel, the « Difficile » preset — and sees every term, the outcome and
the triggered effect; then adds the pot's Dame as one of three cards, and sees it face up once a
draw has spent it.

Shares the server of run.sh with the other browser tests; its own people, partie and character,
made through the API. The character's deck is one card (the 7 de cœur), so the test from the sheet
is known in advance: 7 + Force 3 + Colosse 1 + Bagarre 2 + Boxeur 1 = 14 against 12. Screenshots
go to artifacts/screenshots/ as 4x-cards-*.png, each state checked by axe-core through `shoot`.
"""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.support.ui import Select

from test_story import (BASE_URL, api, click, css, make_browser, ok, partie_table, shoot, sign_in, wait, wait_page,
                        wait_text)

SHEET = {
    "characteristics": [
        {"name": "Force", "value": 2}, {"name": "Dextérité", "value": 1},
        {"name": "Santé", "value": 8, "reduced_by": "Dégâts"}, {"name": "Dégâts", "value": 3},
    ],
    "skills": [{"name": "Bagarre", "level": 2}],
    "capacities": [{"name": "Colosse", "level": 1, "raises": "Force"}],
    "profession": {"name": "Boxeur", "score": 1},
    "effects": [{"rank": "7", "suit": "hearts", "target": {"kind": "skill", "name": "Bagarre"},
                 "description": "L'adversaire est sonné."}],
    "deck_rows": [{"suit": "hearts", "ranks": ["7"]}],
}


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie = partie_table(
        [("mj", f"mjc_{suffix}", "Madame Irma"), ("player", f"arc_{suffix}", "Armand")],
        f"Les Cartes de Nantes {suffix}")
    mj, player = people["mj"], people["player"]
    character = ok(api("POST", "/api/characters", player["token"],
                       {"name": "Armand le boxeur", "partie_id": partie["id"], "figure": "hearts"}))
    ok(api("PUT", f"/api/characters/{character['id']}/sheet", player["token"], SHEET))
    session = ok(api("POST", "/api/sessions", mj["token"], {
        "partie_id": partie["id"], "name": "Le ring", "max_players": 4}))
    ok(api("POST", f"/api/sessions/{session['id']}/start", mj["token"]))
    ok(api("POST", f"/api/sessions/{session['id']}/join", player["token"], {"character_id": character["id"]}))
    browser = make_browser()
    yield {"mj": mj, "player": player, "partie": partie, "character": character, "session": session,
           "browser": browser}
    browser.quit()


def test_a_test_from_the_sheet_and_the_pot(table):
    browser = table["browser"]
    sid = table["session"]["id"]
    sign_in(browser, table["player"])

    # The sheet, on the partie page: Force 2 → 3, the other lines kept.
    browser.get(f"{BASE_URL}/#/parties/{table['partie']['id']}")
    wait_page(browser, "Les Cartes de Nantes")
    click(browser, "[data-testid=sheet-open]")
    force = css(browser, "[data-testid='sheet-Force']")
    force.clear()
    force.send_keys("3")
    assert css(browser, "[data-testid=sheet-capacities]").get_attribute("value") == "Colosse 1 > Force"
    shoot(browser, "4x-cards-sheet-form", section="#characters")
    click(browser, "[data-testid=sheet-save]")
    wait(browser).until(lambda d: ok(api("GET", f"/api/characters/{table['character']['id']}", table["player"]["token"]))
                        ["sheet"]["characteristics"][0]["value"] == 3)
    saved = ok(api("GET", f"/api/characters/{table['character']['id']}", table["player"]["token"]))
    assert saved["sheet"]["skills"] == [{"name": "Bagarre", "level": 2}]
    assert saved["deck"]["rows"] == SHEET["deck_rows"] and saved["sheet"]["effects"] == SHEET["effects"]

    browser.get(f"{BASE_URL}/#/sessions/{sid}")
    wait_page(browser, "Le ring")

    # The sheet's pickers, filled from the character; the preset « Difficile ».
    wait_text(browser, "[data-testid=draw-sheet-characteristic]", "Force 3")
    Select(css(browser, "[data-testid=draw-sheet-characteristic]")).select_by_value("Force")
    Select(css(browser, "[data-testid=draw-sheet-ability]")).select_by_value("skill:Bagarre")
    Select(css(browser, "[data-testid=draw-difficulty-preset]")).select_by_value("difficile")
    click(browser, "[data-testid=draw-submit]")
    result = wait_text(browser, "[data-testid=draw-result-card]", "Colosse 1")
    assert "7 + Force 3 + Colosse 1 + Bagarre 2 + Boxeur 1 = 14 (difficulté 12)" in result.text
    assert css(browser, "[data-testid=draw-result-card] [data-testid=draw-total]").text == "14"
    assert css(browser, "[data-testid=draw-result-card] [data-testid=draw-outcome]").text == "RÉUSSITE"
    wait_text(browser, "[data-testid=draw-effect]", "L'adversaire est sonné.")
    wait_text(browser, "[data-testid=chat-message][data-kind=draw]", "effet déclenché : L'adversaire est sonné.")
    shoot(browser, "4x-cards-sheet-test", section="#draw-panel")

    # The pot: three cards, the Dame added to the deck by its button.
    for rank in ("J", "Q", "K"):
        assert css(browser, f"[data-testid=pot-{rank}]").get_attribute("data-place") == "pot"
    wait_text(browser, "[data-testid=deck-remaining]", "1 carte")
    click(browser, "[data-testid=pot-add-Q]")
    wait(browser).until(lambda d: d.find_element("css selector", "[data-testid=pot-Q]").get_attribute("data-place") == "deck")
    wait_text(browser, "[data-testid=deck-remaining]", "2 cartes")
    shoot(browser, "4x-cards-pot-added", section="#draw-panel")

    # Draws until the Dame comes out (one chance in two each time): she is spent, face up.
    character = table["character"]["id"]
    for _ in range(40):
        draw = ok(api("POST", f"/api/sessions/{sid}/draws", table["player"]["token"],
                      {"character_id": character, "visibility": "public"}))
        if draw["cards"][0]["origin"] == "pot":
            break
    else:
        pytest.fail("la Dame n'est jamais sortie")
    browser.refresh()
    wait_page(browser, "Le ring")
    spent = css(browser, "[data-testid=pot-Q][data-place=spent]")
    assert "Dame de cœur" in spent.find_element("css selector", "[data-testid=card]").get_attribute("aria-label")
    shoot(browser, "4x-cards-pot-spent", section="#draw-panel")
    click(browser, "[data-testid=pot-reset]")
    wait(browser).until(lambda d: d.find_element("css selector", "[data-testid=pot-Q]").get_attribute("data-place") == "pot")
