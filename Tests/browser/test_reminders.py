"""Reminders (issue #26): the MJ reads the partie's reminder offsets in its settings (24 h and 1 h
by default), types others, reads them back in words, and saves them; a wrong list is refused in
the form with a French reason and nothing is sent. Checked through the API afterwards.

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 9x-reminders-*.png, checked by `shoot`.
"""

from __future__ import annotations

import secrets

import pytest

from test_story import BASE_URL, api, css, make_browser, ok, seated_table, shoot, sign_in, wait, wait_page, wait_text


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie, session = seated_table(
        [("mj", f"mjr_{suffix}", "Madame Irma"), ("armand", f"arr_{suffix}", "Armand")],
        f"Les Rappels {suffix}", "Le manoir")
    browser = make_browser()
    yield {**people, "partie": partie, "browser": browser}
    browser.quit()


def test_the_mj_sets_the_reminders(table):
    browser = table["browser"]
    partie = table["partie"]
    sign_in(browser, table["mj"])
    browser.get(f"{BASE_URL}/#/parties/{partie['id']}")
    wait_page(browser, "Les Rappels")
    css(browser, "[data-testid=partie-settings] summary").click()
    offsets = css(browser, "[data-testid=reminder-offsets]")
    assert offsets.get_attribute("value") == "1440, 60"
    hint = css(browser, f"#{offsets.get_attribute('aria-describedby')}")
    assert "24 h, 1 h avant chaque session" in hint.text, hint.text

    offsets.clear()
    offsets.send_keys("5, 20161")
    css(browser, "[data-testid=partie-settings-form] button[type=submit]").click()
    wait_text(browser, "[data-testid=partie-settings-form]", "chacun de 5 à 20 160 minutes")
    assert ok(api("GET", f"/api/parties/{partie['id']}", table["mj"]["token"]))["reminder_offsets_minutes"] == [1440, 60]

    offsets.clear()
    offsets.send_keys("30, 2880")
    assert "48 h, 30 min avant chaque session" in hint.text, hint.text
    css(browser, "[data-testid=partie-settings-form] button[type=submit]").click()
    wait(browser).until(lambda _: ok(api("GET", f"/api/parties/{partie['id']}", table["mj"]["token"]))
                        ["reminder_offsets_minutes"] == [2880, 30], "les rappels ne sont pas enregistrés")
    wait(browser).until(lambda _: "chacun de 5" not in css(browser, "[data-testid=partie-settings-form]").text,
                        "l'erreur corrigée reste affichée")
    assert offsets.get_attribute("value") == "2880, 30", "shown as saved, the longest first"
    shoot(browser, "90-reminders-reglage", section="#partie-settings")
