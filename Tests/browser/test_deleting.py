"""Deleting (issue #27): a player deletes a character of theirs (refused while it sits in a
running session); the MJ hands the partie over (refused while a session runs, then done); the new
MJ deletes it after typing its name; an MJ who still runs a partie is told which before their
account can go; a player deletes their account with their password and is signed out. Each
checked through the API afterwards.

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 6x-deleting-*.png, checked by `shoot`.
"""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_story import (BASE_URL, PASSWORD, api, css, make_browser, ok, seated_table, shoot, sign_in, wait,
                        wait_page, wait_route, wait_text)


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie, session = seated_table(
        [("mj", f"mjd_{suffix}", "Madame Irma"), ("armand", f"ard_{suffix}", "Armand"), ("berthe", f"bed_{suffix}", "Berthe")],
        f"La Maison Close {suffix}", "Le salon")
    browser = make_browser()
    yield {**people, "partie": partie, "session": session, "browser": browser}
    browser.quit()


def open_partie(browser, who: dict, partie: dict):
    sign_in(browser, who)
    browser.get(f"{BASE_URL}/#/parties/{partie['id']}")
    wait_page(browser, partie["name"])


def character_row(browser, name: str):
    rows = [row for row in browser.find_elements(By.CSS_SELECTOR, "[data-testid=character]")
            if row.find_element(By.CSS_SELECTOR, ".character-name").text == name]
    return rows[0] if rows else None


def open_settings(browser):
    css(browser, "#partie-settings summary").click()
    css(browser, "[data-testid=transfer-form], [data-testid=transfer-partie] p")


def test_armand_deletes_a_character_but_not_the_one_he_plays(table):
    browser = table["browser"]
    armand = table["armand"]
    spare = ok(api("POST", "/api/characters", armand["token"], {"name": "Brouillon", "partie_id": table["partie"]["id"]}))
    open_partie(browser, armand, table["partie"])
    character_row(browser, "Brouillon").find_element(By.CSS_SELECTOR, "[data-testid=delete-character]").click()
    dialog = css(browser, "dialog[open]")
    assert "Supprimer « Brouillon »" in dialog.text and "personnage supprimé" in dialog.text
    shoot(browser, "60-deleting-personnage-confirmer")
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    wait(browser).until(lambda d: character_row(d, "Brouillon") is None, "Brouillon est toujours listé")
    ok(api("GET", f"/api/characters/{spare['id']}", armand["token"]), 404)

    # Armand sits in the running session: refused, with the reason beside him.
    character_row(browser, "Armand").find_element(By.CSS_SELECTOR, "[data-testid=delete-character]").click()
    css(browser, "dialog[open] [data-role=confirm]").click()
    wait_text(browser, "#characters .notice--error", "quittez-la")
    shoot(browser, "61-deleting-personnage-assis", section="#characters")
    assert character_row(browser, "Armand") is not None


def test_the_mj_hands_the_partie_to_berthe_once_the_evening_is_over(table):
    browser = table["browser"]
    partie = table["partie"]
    berthe = table["berthe"]
    open_partie(browser, table["mj"], partie)
    open_settings(browser)
    Select(css(browser, "[data-testid=transfer-member]")).select_by_visible_text("Berthe")
    css(browser, "[data-testid=transfer-submit]").click()
    css(browser, "dialog[open] [data-role=confirm]").click()
    wait_text(browser, "[data-testid=transfer-form] .form-error", "en cours")
    shoot(browser, "62-deleting-transfert-refuse", section="#partie-settings")

    ok(api("POST", f"/api/sessions/{table['session']['id']}/end", table["mj"]["token"]))
    css(browser, "[data-testid=transfer-submit]").click()
    dialog = css(browser, "dialog[open]")
    assert "Berthe" in dialog.text
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    # The page comes back as a player's: no settings any more.
    wait_text(browser, ".page-head__meta", "MJ : Berthe")
    assert not browser.find_elements(By.CSS_SELECTOR, "#partie-settings")
    shown = ok(api("GET", f"/api/parties/{partie['id']}", table["mj"]["token"]))
    assert shown["mj_id"] == berthe["user"]["id"] and shown["role"] == "player"


def test_berthe_deletes_the_partie_after_typing_its_name(table):
    browser = table["browser"]
    partie = table["partie"]
    open_partie(browser, table["berthe"], partie)
    open_settings(browser)
    name = css(browser, "[data-testid=delete-partie-name]")
    submit = css(browser, "[data-testid=delete-partie-submit]")
    name.send_keys("La Maison")
    assert not submit.is_enabled()
    shoot(browser, "63-deleting-partie-nom", section="#partie-settings")
    name.send_keys(partie["name"][len("La Maison"):])
    wait(browser).until(lambda d: submit.is_enabled(), "le bouton reste désactivé")
    submit.click()
    dialog = css(browser, "dialog[open]")
    assert "définitif" in dialog.text
    shoot(browser, "64-deleting-partie-confirmer")
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    wait_route(browser, r"#/parties$")
    ok(api("GET", f"/api/parties/{partie['id']}", table["berthe"]["token"]), 404)


def test_an_mj_is_told_which_parties_to_hand_over_first(table):
    browser = table["browser"]
    berthe = table["berthe"]
    phare = ok(api("POST", "/api/parties", berthe["token"], {"name": "Le Phare"}))
    sign_in(browser, berthe)
    browser.get(f"{BASE_URL}/#/compte")
    wait_page(browser, "Mon compte")
    assert "Le Phare" in css(browser, "[data-testid=delete-account-runs]").text
    css(browser, "[data-testid=delete-account-password]").send_keys(PASSWORD)
    css(browser, "[data-testid=delete-account-submit]").click()
    css(browser, "dialog[open] [data-role=confirm]").click()
    wait_text(browser, "[data-testid=delete-account-form] .form-error", "Le Phare")
    shoot(browser, "65-deleting-compte-mj", section="#delete-account")
    ok(api("GET", "/api/me", berthe["token"]), 200)
    ok(api("GET", f"/api/parties/{phare['id']}", berthe["token"]), 200)


def test_armand_deletes_his_account(table):
    browser = table["browser"]
    armand = table["armand"]
    sign_in(browser, armand)
    browser.get(f"{BASE_URL}/#/compte")
    wait_page(browser, "Mon compte")
    password = css(browser, "[data-testid=delete-account-password]")
    password.send_keys("pas le bon")
    css(browser, "[data-testid=delete-account-submit]").click()
    css(browser, "dialog[open] [data-role=confirm]").click()
    wait_text(browser, "[data-testid=delete-account-form] .form-error", "incorrect")
    shoot(browser, "66-deleting-compte-mauvais-mot-de-passe", section="#delete-account")
    ok(api("GET", "/api/me", armand["token"]), 200)

    password.send_keys(PASSWORD)
    css(browser, "[data-testid=delete-account-submit]").click()
    dialog = css(browser, "dialog[open]")
    assert "Ancien·ne joueur·se" in dialog.text
    shoot(browser, "67-deleting-compte-confirmer")
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    wait_route(browser, r"#/connexion$")
    ok(api("GET", "/api/me", armand["token"]), 401)
    ok(api("POST", "/api/auth/login", body={"username": armand["user"]["username"], "password": PASSWORD}), 401)
