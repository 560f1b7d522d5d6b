"""Leaving a partie (issue #27): the MJ removes a member with « Retirer » beside their name, after
a confirmation; a player seated in a running session leaves with « Quitter la partie », after a
confirmation, and their live page is told. Each checked through the API afterwards (the partie
answers them 404).

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 7x-leaving-*.png, checked by `shoot`.
"""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By

from test_story import BASE_URL, api, css, make_browser, ok, seated_table, shoot, sign_in, wait, wait_page, wait_route


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie, session = seated_table(
        [("mj", f"mjq_{suffix}", "Madame Irma"), ("armand", f"arq_{suffix}", "Armand"), ("berthe", f"beq_{suffix}", "Berthe")],
        f"Le Train de Brest {suffix}", "Le wagon-lit")
    mj, armand = make_browser(), make_browser()
    yield {**people, "partie": partie, "session": session, "mj_browser": mj, "armand_browser": armand}
    mj.quit()
    armand.quit()


def member_row(browser, user_id: int):
    return css(browser, f"[data-testid=member][data-user-id='{user_id}']")


def test_the_mj_removes_berthe(table):
    mj = table["mj_browser"]
    partie = table["partie"]
    berthe_id = table["berthe"]["user"]["id"]
    sign_in(mj, table["mj"])
    mj.get(f"{BASE_URL}/#/parties/{partie['id']}")
    wait_page(mj, "Le Train de Brest")
    # No « Retirer » beside the MJ themself; one beside each player.
    assert len(mj.find_elements(By.CSS_SELECTOR, "[data-testid=remove-member]")) == 2
    shoot(mj, "70-leaving-membres-mj", section="#members")
    member_row(mj, berthe_id).find_element(By.CSS_SELECTOR, "[data-testid=remove-member]").click()
    dialog = css(mj, "dialog[open]")
    assert "Retirer Berthe" in dialog.text
    shoot(mj, "71-leaving-confirmer-retrait")
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    wait(mj).until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"[data-testid=member][data-user-id='{berthe_id}']"),
                   "Berthe est toujours dans la liste")
    assert css(mj, "#members-title").text == "Membres (2)"
    ok(api("GET", f"/api/parties/{partie['id']}", table["berthe"]["token"]), 404)


def test_armand_leaves_from_his_running_session(table):
    armand = table["armand_browser"]
    partie = table["partie"]
    sign_in(armand, table["armand"])
    armand.get(f"{BASE_URL}/#/parties/{partie['id']}")
    wait_page(armand, "Le Train de Brest")
    # A player removes no one.
    assert not armand.find_elements(By.CSS_SELECTOR, "[data-testid=remove-member]")
    css(armand, "[data-testid=leave-partie]").click()
    dialog = css(armand, "dialog[open]")
    assert "Quitter" in dialog.text
    shoot(armand, "72-leaving-confirmer-depart")
    # Changing one's mind changes nothing.
    dialog.find_element(By.CSS_SELECTOR, "[data-role=cancel]").click()
    ok(api("GET", f"/api/parties/{partie['id']}", table["armand"]["token"]), 200)
    css(armand, "[data-testid=leave-partie]").click()
    css(armand, "dialog[open] [data-role=confirm]").click()
    wait_route(armand, r"#/parties$")
    ok(api("GET", f"/api/parties/{partie['id']}", table["armand"]["token"]), 404)
    participants = ok(api("GET", f"/api/sessions/{table['session']['id']}/participants", table["mj"]["token"]))
    seat = next(p for p in participants if p["user_id"] == table["armand"]["user"]["id"])
    assert seat["is_active"] is False and seat["left_at"]
