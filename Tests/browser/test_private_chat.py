"""Private lines and announcements at the table (issue #25, points 1 and 2): the MJ writes in
private to Armand, who sees it marked « en privé à vous » while Berthe, another player at the same
table, never receives it; Armand answers the MJ in private and corrects his line; the MJ makes a
pinned announcement that everyone sees above the page, then removes Berthe's line, which shows as
« message supprimé » for her.

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 25-chat-*.png at phone and laptop sizes, each
state checked by axe-core (serious or critical problems fail) through `shoot`.
"""

from __future__ import annotations

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_story import BASE_URL, PASSWORD, api, ok, sign_in, css, make_browser, shoot, wait, wait_page, wait_text

WHISPER = "Armand, tu sens une odeur de soufre sous la porte."
ANSWER = "Je garde ça pour moi."
ANNOUNCEMENT = "Pause de dix minutes, on reprend à 22 h."


def chat_text(browser) -> str:
    return browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=chat-message]')].map((e) => e.textContent).join('\\n')")


def line(browser, text: str):
    """The chat line whose text holds `text`, once it is there."""
    def find(d):
        for node in d.find_elements(By.CSS_SELECTOR, "[data-testid=chat-message]"):
            if text in node.get_attribute("textContent"):
                return node
        return False
    return wait(browser).until(find, f"ligne absente : {text}")


def send(browser, text: str):
    form = css(browser, "[data-testid=chat-form]")
    form.find_element(By.NAME, "body").send_keys(text)
    form.find_element(By.CSS_SELECTOR, "[data-testid=chat-send]").click()


def show_chat(browser):
    """On a phone the chat is the « Discussion » tab; the pictures at phone size show it."""
    browser.execute_script("const t = document.querySelector('[data-testid=tab-discussion]'); if (t) t.click();")


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people = {}
    for key, display in [("mj", "Madame Irma"), ("armand", "Armand"), ("berthe", "Berthe")]:
        people[key] = ok(api("POST", "/api/auth/register", body={
            "username": f"{key}_{suffix}", "display_name": display, "password": PASSWORD}))
    partie = ok(api("POST", "/api/parties", people["mj"]["token"], {"name": f"Les Murmures de Carnac {suffix}"}))
    session = ok(api("POST", "/api/sessions", people["mj"]["token"],
                     {"partie_id": partie["id"], "name": "La crypte", "max_players": 4}))
    ok(api("POST", f"/api/sessions/{session['id']}/start", people["mj"]["token"]))
    for key, name in [("armand", "Armand Kerjean"), ("berthe", "Berthe Le Goff")]:
        token = people[key]["token"]
        ok(api("POST", "/api/parties/join", token, {"invite_code": partie["invite_code"]}))
        character = ok(api("POST", "/api/characters", token, {"name": name, "partie_id": partie["id"]}))
        ok(api("POST", f"/api/sessions/{session['id']}/join", token, {"character_id": character["id"]}))
    browsers = {}
    try:
        for key in people:
            browsers[key] = make_browser()
            sign_in(browsers[key], people[key])
            browsers[key].get(f"{BASE_URL}/#/sessions/{session['id']}")
            wait_page(browsers[key], "La crypte")
            css(browsers[key], "[data-testid=live-state][data-mode=live]")
        yield {"people": people, "session": session, "browsers": browsers}
    finally:
        for browser in browsers.values():
            try:
                browser.quit()
            except Exception:
                pass


def test_a_private_line_reaches_armand_and_not_berthe(table):
    mj, armand, berthe = (table["browsers"][k] for k in ("mj", "armand", "berthe"))
    armand_id = table["people"]["armand"]["user"]["id"]

    # The MJ picks « En privé à… » and ticks Armand among the seated players.
    Select(css(mj, "[data-testid=chat-scope]")).select_by_value("private")
    box = wait(mj).until(lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "[data-testid=chat-recipient]")
                                    if b.get_attribute("value") == str(armand_id)], "Armand n'est pas proposé")[0]
    box.click()
    shoot(mj, "25-chat-mj-choisit")
    send(mj, WHISPER)
    mine = line(mj, WHISPER)
    assert "en privé à Armand" in mine.get_attribute("textContent")

    got = line(armand, WHISPER)
    assert "en privé à vous" in got.get_attribute("textContent")
    assert "chat__msg--private" in got.get_attribute("class")

    # Armand answers the MJ alone, then corrects his line within the five minutes.
    css(armand, "[data-testid=chat-private]").click()
    send(armand, ANSWER)
    answer = line(armand, ANSWER)
    assert "en privé au MJ" in answer.get_attribute("textContent")
    answer.find_element(By.CSS_SELECTOR, "[data-testid=chat-edit]").click()
    field = css(armand, "[data-testid=chat-edit-input]")
    field.clear()
    field.send_keys(ANSWER + " Merci.")
    field.submit()
    wait(mj).until(lambda d: (ANSWER + " Merci.") in chat_text(d), "le MJ ne voit pas la correction")
    assert "en privé au MJ" in line(mj, ANSWER).get_attribute("textContent")

    # A public line after them: once Berthe has it, she has had the chance to get the others.
    ok(api("POST", f"/api/sessions/{table['session']['id']}/messages", table["people"]["mj"]["token"],
           {"body": "Tout le monde entend la cloche."}))
    line(berthe, "Tout le monde entend la cloche.")
    text = chat_text(berthe)
    assert WHISPER not in text and ANSWER not in text and "en privé" not in text, text
    assert WHISPER not in berthe.page_source
    for who, browser in (("mj", mj), ("armand", armand), ("berthe", berthe)):
        show_chat(browser)
        shoot(browser, f"25-chat-prive-{who}")


def test_an_announcement_pinned_for_everyone_and_a_line_removed(table):
    mj, armand, berthe = (table["browsers"][k] for k in ("mj", "armand", "berthe"))
    Select(css(mj, "[data-testid=chat-scope]")).select_by_value("announcement")
    css(mj, "[data-testid=chat-pin]").click()
    send(mj, ANNOUNCEMENT)
    for browser in (mj, armand, berthe):
        wait_text(browser, "[data-testid=chat-pinned-item]", ANNOUNCEMENT)
        node = line(browser, ANNOUNCEMENT)
        assert "chat__msg--announcement" in node.get_attribute("class")

    # Berthe writes; the MJ removes her line; she sees « message supprimé ».
    send(berthe, "Je lis la lettre à voix haute.")
    target = line(mj, "Je lis la lettre à voix haute.")
    target.find_element(By.CSS_SELECTOR, "[data-testid=chat-delete]").click()
    css(mj, "dialog [data-role=confirm]").click()
    wait(berthe).until(lambda d: "Je lis la lettre" not in chat_text(d), "le texte supprimé reste affiché")
    wait_text(berthe, "[data-testid=chat-deleted]", "message supprimé")
    for who, browser in (("mj", mj), ("berthe", berthe)):
        browser.execute_script("window.scrollTo(0, 0)")
        show_chat(browser)
        shoot(browser, f"25-chat-annonce-{who}")

    # Unpinned, the banner goes for everyone; the announcement stays in the chat.
    css(mj, "[data-testid=chat-unpin]").click()
    wait(armand).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=chat-pinned-item]"),
                       "l'annonce reste épinglée")
    line(armand, ANNOUNCEMENT)
