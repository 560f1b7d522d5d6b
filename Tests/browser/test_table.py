"""The session page as a table (issue #25): the tabs on a phone with the unread count of the chat,
the chat column that stays on screen on a laptop, the « who is here » line, a lost connection
(DevTools' network emulation goes offline, then back) with its banner and « Connexion rétablie »,
the invitation page naming the partie and its MJ before sign-up, an address without `#`, and
« Mon compte » changing the display name and the password.

Shares the server of run.sh with test_story.py; its own people and partie, made through the API.
Screenshots go to artifacts/screenshots/ as 2x-table-*.png; every state pictured is checked by
axe-core (serious or critical problems fail) through `shoot`.
"""

from __future__ import annotations

import secrets
import time

import pytest

from test_story import (BASE_URL, PASSWORD, SHOTS, api, click, css, make_browser, shoot, wait, wait_page,
                        wait_route, wait_text)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

PHONE = ("telephone", 390, 844)
LAPTOP = ("portable", 1280, 800)


def ok(status_body, *expected):
    status, body = status_body
    assert status in (expected or (200, 201, 204)), (status, body)
    return body


def phone_size(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[1], "height": PHONE[2], "deviceScaleFactor": 1, "mobile": True})
    wait(browser, 5).until(lambda d: d.execute_script("return window.innerWidth") == PHONE[1])


def sign_in(browser, auth: dict):
    """Puts the account's token where the page keeps it (the story signs in through the form)."""
    browser.get(f"{BASE_URL}/#/connexion")
    browser.execute_script(
        "localStorage.setItem('etrange.token', arguments[0]);"
        "localStorage.setItem('etrange.user', JSON.stringify(arguments[1]));", auth["token"], auth["user"])


def offline(browser, on: bool):
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


class Table:
    def __init__(self):
        suffix = secrets.token_hex(3)
        self.mj_display = "Madame Irma"
        self.player_display = "Jeanne la Rousse"
        self.mj = ok(api("POST", "/api/auth/register", body={
            "username": f"mjt_{suffix}", "display_name": self.mj_display, "password": PASSWORD}))
        self.player = ok(api("POST", "/api/auth/register", body={
            "username": f"jt_{suffix}", "display_name": self.player_display, "password": PASSWORD}))
        self.partie_name = f"La Table de Brocéliande {suffix}"
        self.partie = ok(api("POST", "/api/parties", self.mj["token"], {"name": self.partie_name}))
        ok(api("POST", "/api/parties/join", self.player["token"], {"invite_code": self.partie["invite_code"]}))
        self.character = ok(api("POST", "/api/characters", self.player["token"],
                                {"name": "Viviane", "partie_id": self.partie["id"]}))
        self.session = ok(api("POST", "/api/sessions", self.mj["token"],
                              {"partie_id": self.partie["id"], "name": "Séance de la table", "max_players": 4}))
        self.sid = self.session["id"]
        ok(api("POST", f"/api/sessions/{self.sid}/start", self.mj["token"]))
        self.mj_browser = None
        self.player_browser = None


@pytest.fixture(scope="module")
def table():
    state = Table()
    browsers = []
    try:
        state.mj_browser = make_browser()
        browsers.append(state.mj_browser)
        state.player_browser = make_browser()
        browsers.append(state.player_browser)
        sign_in(state.mj_browser, state.mj)
        sign_in(state.player_browser, state.player)
        yield state
    finally:
        for browser in browsers:
            try:
                browser.quit()
            except Exception:
                pass


def present(browser, selector: str):
    """Waits for an element in the page, shown or in a hidden tab."""
    return wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, selector), f"élément absent : {selector}")[0]


def shoot_phone(browser, name: str):
    """`shoot` at the phone's size only; it leaves the window at its own size, the phone's comes back."""
    shoot(browser, name, sizes=[PHONE])
    phone_size(browser)


def press_on_tab(browser, tab: str, key: str, reached: str, message: str):
    """Presses `key` on the tab `tab` and waits until `reached` is the tab shown, with the focus."""
    # (The pictures' laptop size takes the tabs, and the focus, away for a moment: focus again.)
    browser.execute_script(f"document.querySelector('[data-testid=tab-{tab}]').focus()")
    browser.switch_to.active_element.send_keys(key)
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-testid=tab-{reached}]")
                        .get_attribute("aria-selected") == "true", message)
    assert browser.switch_to.active_element.get_attribute("data-testid") == f"tab-{reached}"


def say(table: Table, text: str):
    ok(api("POST", f"/api/sessions/{table.sid}/messages", table.mj["token"], {"body": text}))


def unread(browser) -> str:
    return browser.execute_script(
        "const b = document.querySelector('[data-testid=unread-count]'); return b && !b.hidden ? b.textContent : '';")


def test_01_phone_tabs_join_and_unread_count(table: Table):
    mj, player = table.mj_browser, table.player_browser
    mj.get(f"{BASE_URL}/#/sessions/{table.sid}")
    wait_page(mj, "Séance de la table")
    phone_size(player)
    player.get(f"{BASE_URL}/#/sessions/{table.sid}")
    wait_page(player, "Séance de la table")

    # Three tabs, « Tirer » shown first; the other parts are hidden panels.
    tabs = player.find_elements(By.CSS_SELECTOR, "[role=tablist] [role=tab]")
    assert [t.text.strip() for t in tabs][:1] == ["Tirer"] and len(tabs) == 3, [t.text for t in tabs]
    assert tabs[0].get_attribute("aria-selected") == "true"
    assert [t.get_attribute("tabindex") for t in tabs] == ["0", "-1", "-1"]
    panel = player.find_element(By.ID, tabs[1].get_attribute("aria-controls"))
    assert panel.get_attribute("role") == "tabpanel" and not panel.is_displayed()

    # « Rejoindre » from the keyboard's point of view: the focus lands on what says I sit.
    form = css(player, "[data-testid=join-form]")
    Select(form.find_element(By.NAME, "character_id")).select_by_visible_text("Viviane")
    click(player, "[data-testid=join-button]")
    wait_text(player, "[data-testid=join]", "avec Viviane")
    focused = player.execute_script("return document.activeElement.closest('[data-testid=join]') !== null "
                                    "&& document.activeElement.classList.contains('notice')")
    assert focused, player.execute_script("return document.activeElement.outerHTML.slice(0, 200)")

    # Who is here, on one line at the top, whatever the tab.
    wait_text(player, "[data-testid=who-is-here]", table.mj_display)
    wait_text(player, "[data-testid=who-is-here]", "(vous)")
    present(player, "[data-testid=live-state][data-mode=live]")
    shoot_phone(player, "20-table-telephone-tirer")

    # Lines arriving while « Tirer » is shown are counted on « Discussion ».
    assert unread(player) == ""
    say(table, "Un bruit dans la forêt…")
    wait(player).until(lambda d: unread(d) == "1", "le compteur de messages non lus ne passe pas à 1")
    say(table, "Quelque chose approche.")
    wait(player).until(lambda d: unread(d) == "2", "le compteur ne passe pas à 2")
    badge = player.find_element(By.CSS_SELECTOR, "[data-testid=unread-count]")
    assert badge.get_attribute("aria-label") == "2 messages non lus"
    # The tabs stay at hand while the part scrolls.
    player.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    top = player.execute_script("return document.querySelector('[role=tablist]').getBoundingClientRect().top")
    assert 0 <= top < 120, f"les onglets ne restent pas en haut : {top}"
    player.execute_script("window.scrollTo(0, 0)")  # a full-page picture of a scrolled page misplaces what sticks
    shoot_phone(player, "20-table-telephone-non-lus")

    # Keyboard: arrows move between tabs and show the one reached; the count goes once read.
    press_on_tab(player, "tirer", Keys.ARROW_RIGHT, "discussion", "la flèche droite ne montre pas la discussion")
    assert unread(player) == ""
    wait_text(player, "[data-testid=chat-message]", "Quelque chose approche.")
    assert not player.find_element(By.CSS_SELECTOR, "[data-testid=draw-form]").is_displayed()
    # While the discussion is shown, nothing is counted.
    say(table, "Restez groupés.")
    wait_text(player, "[data-testid=chat-message]", "Restez groupés.")
    assert unread(player) == ""
    shoot_phone(player, "20-table-telephone-discussion")
    press_on_tab(player, "discussion", Keys.END, "table", "Fin ne va pas au dernier onglet")
    css(player, "#presence-panel")
    shoot_phone(player, "20-table-telephone-table")
    press_on_tab(player, "table", Keys.HOME, "tirer", "Début ne va pas au premier onglet")
    press_on_tab(player, "tirer", Keys.ARROW_LEFT, "table", "la flèche gauche ne revient pas au dernier onglet")
    # My own lines are not news to me.
    player.find_element(By.CSS_SELECTOR, "[data-testid=tab-discussion]").click()
    chat = css(player, "[data-testid=chat-form]")
    chat.find_element(By.NAME, "body").send_keys("J'ai mon épée.")
    chat.find_element(By.CSS_SELECTOR, "[data-testid=chat-send]").click()
    wait_text(player, "[data-testid=chat-message]", "J'ai mon épée.")
    player.find_element(By.CSS_SELECTOR, "[data-testid=tab-tirer]").click()
    say(table, "Bien.")
    wait(player).until(lambda d: unread(d) == "1", "seul le message du MJ compte")


def test_02_laptop_chat_column_stays_on_screen(table: Table):
    mj = table.mj_browser
    mj.get(f"{BASE_URL}/#/sessions/{table.sid}")
    wait_page(mj, "Séance de la table")
    wait_text(mj, "[data-testid=chat-message]", "Bien.")
    assert not mj.find_elements(By.CSS_SELECTOR, "[role=tablist]"), "pas d'onglets sur un portable"
    assert not mj.find_element(By.CSS_SELECTOR, "[data-testid=tab-discussion]").is_displayed()
    wait_text(mj, "[data-testid=who-is-here]", table.player_display)
    rects = mj.execute_script("""
        const r = (s) => document.querySelector(s).getBoundingClientRect().toJSON();
        return {chat: r('[data-testid=table-part-discussion]'), draw: r('[data-testid=table-part-tirer]')};""")
    assert rects["chat"]["left"] > rects["draw"]["right"] - 1, f"la discussion n'est pas à côté : {rects}"
    assert rects["chat"]["top"] < 800, f"la discussion est sous le pli : {rects}"
    # Scrolled down the page, the chat is still on screen, its field too.
    height = mj.execute_script("return document.documentElement.scrollHeight")
    assert height > 1000, f"la page est trop courte pour vérifier le défilement : {height}"
    mj.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    box = mj.execute_script("""
        const r = (s) => document.querySelector(s).getBoundingClientRect().toJSON();
        return {chat: r('[data-testid=table-part-discussion]'), input: r('[data-testid=chat-input]'),
                height: innerHeight};""")
    assert 0 <= box["chat"]["top"] <= 40 and box["chat"]["bottom"] <= box["height"] + 1, box
    assert 0 < box["input"]["bottom"] <= box["height"], f"le champ du message sort de l'écran : {box}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    mj.save_screenshot(str(SHOTS / "21-table-portable-defile.png"))
    mj.execute_script("window.scrollTo(0, 0)")
    shoot(mj, "21-table-portable", sizes=[LAPTOP])


def banner_state(browser):
    return browser.execute_script("""
        const b = document.getElementById('connection-banner');
        return b.hidden ? null : {state: b.dataset.state, text: b.textContent, top: b.getBoundingClientRect().top};""")


@pytest.mark.parametrize("who", ["player", "mj"])
def test_03_lost_connection_then_back(table: Table, who: str):
    browser = table.player_browser if who == "player" else table.mj_browser
    if who == "player":
        phone_size(browser)
    browser.get(f"{BASE_URL}/#/sessions/{table.sid}")
    wait_page(browser, "Séance de la table")
    present(browser, "[data-testid=live-state][data-mode=live]")
    assert banner_state(browser) is None
    try:
        offline(browser, True)
        wait(browser).until(lambda d: (banner_state(d) or {}).get("state") == "lost", "pas de bandeau hors connexion")
        retry = css(browser, "[data-testid=connection-retry]")
        assert retry.text == "Réessayer maintenant"
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=connection-message]").get_attribute("role") == "status"
        # The dots of who is here go grey: nobody is known to be there any more.
        css(browser, "[data-testid=who-is-here].is-stale")
        grey = browser.execute_script("""
            return [...document.querySelectorAll('#presence-panel .person__dot, [data-testid=who-is-here] .person__dot')]
              .map((d) => getComputedStyle(d).backgroundColor);""")
        assert grey and set(grey) == {"rgb(180, 173, 187)"}, grey
        # Scrolled to the bottom, the banner is still on screen.
        browser.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
        wait(browser, 5).until(lambda d: (banner_state(d) or {}).get("top", -1) == 0, "le bandeau quitte l'écran")
        # Trying now while still offline: it fails again, the banner stays.
        retry.click()
        time.sleep(0.5)
        assert (banner_state(browser) or {}).get("state") == "lost"
        # Long enough offline for the back-off to reach 8 s (2, 4, 8…).
        time.sleep(7)
        browser.execute_script("window.scrollTo(0, 0)")
        shoot(browser, f"22-table-{who}-connexion-perdue", sizes=[PHONE if who == "player" else LAPTOP])
        if who == "player":
            phone_size(browser)
    finally:
        offline(browser, False)
    # Back online: at once (no waiting for the back-off), « Connexion rétablie », then it goes.
    # Within 3 s: the back-off had grown to 4 s or more while offline, so only the retry the
    # browser's `online` event starts can be this quick.
    wait(browser, 3).until(lambda d: (banner_state(d) or {}).get("state") == "restored",
                           "« Connexion rétablie » n'apparaît pas")
    assert "Connexion rétablie" in banner_state(browser)["text"]
    present(browser, "[data-testid=live-state][data-mode=live]")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=who-is-here].is-stale")
    shoot(browser, f"22-table-{who}-connexion-retablie", sizes=[PHONE if who == "player" else LAPTOP])
    wait(browser, 10).until(lambda d: banner_state(d) is None, "le bandeau reste après le retour")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_04_invitation_names_the_partie_and_the_mj_before_sign_up(table: Table):
    newcomer = make_browser()
    try:
        code = table.partie["invite_code"]
        newcomer.get(f"{BASE_URL}/invitation/{code}")
        wait_page(newcomer, "Invitation à une partie")
        wait_text(newcomer, "[data-testid=invitation-partie]", table.partie_name)
        wait_text(newcomer, "[data-testid=invitation-mj]", table.mj_display)
        shoot(newcomer, "23-table-invitation", sizes=[PHONE, LAPTOP])
        click(newcomer, "[data-testid=invitation-register]")
        wait_page(newcomer, "Créer un compte")
        wait_text(newcomer, "main", table.partie_name)
        # A refusal names the field as the form does, not in the server's spelling.
        form = css(newcomer, "[data-testid=register-form]")
        newcomer.execute_script("arguments[0].removeAttribute('minlength')", form.find_element(By.NAME, "username"))
        form.find_element(By.NAME, "username").send_keys("ab")
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
        alert = wait_text(newcomer, "[data-testid=register-form] [role=alert]", "caractères")
        assert alert.text.startswith("Nom d’utilisateur :") and "username" not in alert.text, alert.text

        # A code that no longer works says so before anyone signs up.
        newcomer.get(f"{BASE_URL}/invitation/ZZZZZZZZ")
        wait_text(newcomer, "main [role=alert]", "Code d'invitation inconnu")
        assert not newcomer.find_elements(By.CSS_SELECTOR, "[data-testid=invitation-register]")
    finally:
        newcomer.quit()


def test_05_address_without_hash_opens_the_page(table: Table):
    player = table.player_browser
    player.get(f"{BASE_URL}/parties/{table.partie['id']}")
    wait_route(player, rf"/#/parties/{table.partie['id']}$")
    wait_page(player, table.partie_name)


def test_06_my_account_changes_name_and_password(table: Table):
    player = table.player_browser
    player.get(f"{BASE_URL}/#/compte")
    wait_page(player, "Mon compte")
    form = css(player, "[data-testid=display-name-form]")
    control = form.find_element(By.NAME, "display_name")
    control.clear()
    control.send_keys("Jeanne des Bois")
    form.find_element(By.CSS_SELECTOR, "[data-testid=display-name-save]").click()
    wait_text(player, "[data-testid=current-user]", "Jeanne des Bois")
    status, me = api("GET", "/api/me", table.player["token"])
    assert status == 200 and me["display_name"] == "Jeanne des Bois", (status, me)

    form = css(player, "[data-testid=password-form]")
    form.find_element(By.NAME, "current_password").send_keys(PASSWORD)
    form.find_element(By.NAME, "new_password").send_keys("un-autre-mot-de-passe")
    form.find_element(By.NAME, "new_password_again").send_keys("un-autre-mot-de-passe")
    shoot(player, "24-table-mon-compte", sizes=[PHONE, LAPTOP])
    form.find_element(By.CSS_SELECTOR, "[data-testid=password-save]").click()
    wait_text(player, "#toasts", "Mot de passe changé")
    # The old token is gone; the page holds the new one and keeps working.
    assert api("GET", "/api/me", table.player["token"])[0] == 401
    token = player.execute_script("return localStorage.getItem('etrange.token')")
    assert api("GET", "/api/me", token)[0] == 200
    assert api("POST", "/api/auth/login", body={"username": table.player["user"]["username"],
                                                "password": "un-autre-mot-de-passe"})[0] == 200


def test_07_leaving_unsaved_edits_asks_first(table: Table):
    mj = table.mj_browser
    mj.get(f"{BASE_URL}/#/sessions/{table.sid}")
    wait_page(mj, "Séance de la table")
    summary = css(mj, "[data-testid=summary-input]")
    summary.send_keys("Un début de résumé.")
    mj.execute_script("location.hash = '#/parties'")
    alert = wait(mj, 5).until(lambda d: d.switch_to.alert, "quitter ne demande rien")
    assert "pas enregistrées" in alert.text, alert.text
    alert.dismiss()
    wait_route(mj, rf"#/sessions/{table.sid}$")
    assert css(mj, "[data-testid=summary-input]").get_attribute("value") == "Un début de résumé."
    # Saved, leaving asks nothing.
    click(mj, "[data-testid=save-account]")
    wait_text(mj, "#account .save-state", "Compte rendu enregistré")
    mj.execute_script("location.hash = '#/parties'")
    wait_page(mj, "Mes parties")


def test_08_a_refused_seat_updates_what_the_page_says(table: Table):
    """The last seat goes to someone else while the page still offers it: « Rejoindre » is refused,
    and the counts, the seat panel and the chat's hint then all say the same as the refusal."""
    player = table.player_browser
    full = ok(api("POST", "/api/sessions", table.mj["token"],
                  {"partie_id": table.partie["id"], "name": "Séance à une place", "max_players": 1}))
    ok(api("POST", f"/api/sessions/{table.sid}/end", table.mj["token"], {}))  # one session running at a time
    ok(api("POST", f"/api/sessions/{full['id']}/start", table.mj["token"]))
    other = ok(api("POST", "/api/auth/register", body={
        "username": f"autre_{secrets.token_hex(3)}", "display_name": "Perceval", "password": PASSWORD}))
    ok(api("POST", "/api/parties/join", other["token"], {"invite_code": table.partie["invite_code"]}))
    character = ok(api("POST", "/api/characters", other["token"], {"name": "Lancelot", "partie_id": table.partie["id"]}))
    player.get(f"{BASE_URL}/#/sessions/{full['id']}")
    wait_page(player, "Séance à une place")
    form = css(player, "[data-testid=join-form]")
    Select(form.find_element(By.NAME, "character_id")).select_by_visible_text("Viviane")
    ok(api("POST", f"/api/sessions/{full['id']}/join", other["token"], {"character_id": character["id"]}))
    # The page polls every few seconds: it may have learnt of the taken seat already.
    if player.find_elements(By.CSS_SELECTOR, "[data-testid=join-button]"):
        player.find_element(By.CSS_SELECTOR, "[data-testid=join-button]").click()
        # At once, not at the next poll (every 4 s): the refusal reads the session again.
        wait_text(player, "[data-testid=join]", "complète", timeout=2)
        wait_text(player, ".facts", "1 / 1", timeout=2)
        # The keyboard is on the refusal: the page's next poll may draw the panel again meanwhile,
        # so the notice is looked for by what it says rather than where it sits.
        wait(player, 5).until(
            lambda d: "complète" in d.execute_script("return document.activeElement.textContent || ''"),
            "le focus n'est pas sur le refus")
    wait_text(player, "[data-testid=join]", "La session est complète (1 joueur·se au maximum).")
    wait_text(player, ".facts", "1 / 1")
    closed = css(player, "[data-testid=chat-closed]")
    assert "Rejoignez" not in closed.text and "Seules les personnes à la table" in closed.text, closed.text
    unavailable = player.execute_script(
        "return document.querySelector('[data-testid=draw-unavailable]').textContent")
    assert "Rejoignez" not in unavailable and "Seules les personnes à la table" in unavailable, unavailable
    shoot(player, "25-table-place-refusee", sizes=[PHONE, LAPTOP])
