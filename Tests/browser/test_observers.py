"""Observers by themselves and the waiting list (issue #26): the MJ ticks « Les membres peuvent
observer » in the partie's settings; a member then finds « Observer » on the page of a full running
session, sits in without a seat, and reads that they draw no cards; another joins the waiting list,
reads their place, and is seated when Armand leaves. Checked through the API afterwards.

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 8x-observers-*.png, checked by `shoot`.
"""

from __future__ import annotations

import secrets

import pytest

from test_story import BASE_URL, api, css, make_browser, ok, seated_table, shoot, sign_in, wait, wait_page, wait_text


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie, session = seated_table(
        [("mj", f"mjo_{suffix}", "Madame Irma"), ("armand", f"aro_{suffix}", "Armand"),
         ("wanda", f"wao_{suffix}", "Wanda"), ("xavier", f"xao_{suffix}", "Xavier")],
        f"La Nuit de l'Opéra {suffix}", "Le foyer")
    # One seat, Armand's: the table is full for Wanda.
    ok(api("PUT", f"/api/sessions/{session['id']}", people["mj"]["token"], {"max_players": 1}))
    browser = make_browser()
    yield {**people, "partie": partie, "session": session, "browser": browser}
    browser.quit()


def test_the_mj_lets_members_observe(table):
    browser = table["browser"]
    partie = table["partie"]
    sign_in(browser, table["mj"])
    browser.get(f"{BASE_URL}/#/parties/{partie['id']}")
    wait_page(browser, "La Nuit de l'Opéra")
    css(browser, "[data-testid=partie-settings] summary").click()
    box = css(browser, "[data-testid=members-may-observe]")
    assert not box.is_selected()
    box.click()
    shoot(browser, "80-observers-reglage", section="#partie-settings")
    css(browser, "[data-testid=partie-settings-form] button[type=submit]").click()
    wait(browser).until(lambda _: ok(api("GET", f"/api/parties/{partie['id']}", table["mj"]["token"]))
                        ["members_may_observe"] is True, "le réglage n'est pas enregistré")


def test_a_member_observes_the_full_table(table):
    browser = table["browser"]
    session = table["session"]
    sign_in(browser, table["wanda"])
    browser.get(f"{BASE_URL}/#/sessions/{session['id']}")
    wait_text(browser, "[data-testid=join]", "complète")
    shoot(browser, "81-observers-complete", section="#join-panel")
    css(browser, "[data-testid=observe-button]").click()
    wait_text(browser, "[data-testid=join]", "Vous observez la session")
    shoot(browser, "82-observers-assise", section="#join-panel")
    participants = ok(api("GET", f"/api/sessions/{session['id']}/participants", table["mj"]["token"]))
    seat = next(p for p in participants if p["user_id"] == table["wanda"]["user"]["id"])
    assert seat["role"] == "observer" and seat["is_active"] is True
    read = ok(api("GET", f"/api/sessions/{session['id']}", table["wanda"]["token"]))
    assert read["seated_players"] == 1


def test_a_member_waits_and_is_seated_when_a_seat_frees(table):
    browser = table["browser"]
    session = table["session"]
    xavier = table["xavier"]
    ok(api("POST", "/api/characters", xavier["token"], {"name": "Xavier", "partie_id": table["partie"]["id"]}))
    sign_in(browser, xavier)
    browser.get(f"{BASE_URL}/#/sessions/{session['id']}")
    css(browser, "[data-testid=waitlist-join]").click()
    wait_text(browser, "[data-testid=waitlist]", "1ʳᵉ sur la liste d’attente")
    assert "Xavier" in css(browser, "[data-testid=waitlist-order]").text
    shoot(browser, "83-observers-liste-attente", section="#join-panel")
    ok(api("POST", f"/api/sessions/{session['id']}/leave", table["armand"]["token"]))
    participants = ok(api("GET", f"/api/sessions/{session['id']}/participants", table["mj"]["token"]))
    seat = next(p for p in participants if p["user_id"] == xavier["user"]["id"])
    assert seat["role"] == "player" and seat["is_active"] is True
    wait_text(browser, "[data-testid=join]", "Vous êtes à la table avec Xavier", timeout=30)
