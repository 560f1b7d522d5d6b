"""The whole story of an evening, driven in two browsers at once: a game master (MJ) and a player.

register both → the MJ creates a partie → the player opens the invitation link and joins → the MJ
plans and starts a session → the player creates a character and joins the session with it
(« Rejoindre ») → each sees the other online, over the live channel (WebSocket) → the player writes
in the chat and the MJ sees it without reloading → the player draws a card for a test (Agilité 3,
difficulty 9) and the MJ sees the draw's line in the chat → the MJ draws secretly with advantage →
the MJ ends the session with a summary (and private notes) → the player reads it.

Then (issue #10): a third member who joined before the session and never came shows ✗ in the
partie's attendance table, the player ✓, the newcomer who joined afterwards — (both browsers,
phone 390 px and laptop screenshots of the section) → the campaign log and the session's account
as Markdown (the player's copy has the session but not the MJ's notes; the MJ's has them) → the
player subscribes a calendar (the .ics has the session; a new address kills the old one) → the MJ
sets the usual session length and a webhook to a receiver of the test's own, and « Tester »
delivers a correctly signed call. Each state in the presence list is written out (« en ligne »);
left alone, the player turns « inactif » on the MJ's page, live, and a click brings them back
(run.sh sets ETRANGE_IDLE_AFTER=30 on the server and tells the test).

Needs a running server: `ETRANGE_BASE_URL=http://127.0.0.1:18090 pytest Tests/browser` (see
run.sh beside this file, which starts one). Headless Debian Chromium and its chromedriver are used
as installed; Selenium never downloads anything.

The steps are ordered tests sharing the two browsers; a step that fails makes the steps that
depend on it skip. Screenshots of each main page at phone (360×740) and laptop (1280×800) sizes go
to artifacts/screenshots/, and every page is checked not to scroll sideways on the phone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

BASE_URL = (os.environ.get("ETRANGE_BASE_URL") or "").rstrip("/")

if not BASE_URL:
    pytest.skip(
        "ETRANGE_BASE_URL n'est pas défini : démarrez le serveur et donnez son adresse "
        "(par exemple ETRANGE_BASE_URL=http://127.0.0.1:18090), ou lancez Tests/browser/run.sh.",
        allow_module_level=True)

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    pytest.skip("selenium n'est pas installé : pip install selenium pytest", allow_module_level=True)

try:
    import axe_core_python
except ImportError:
    pytest.skip("axe-core-python n'est pas installé : pip install axe-core-python", allow_module_level=True)

# axe-core (the accessibility checker), as the Python package ships it: injected into each page
# pictured, it must find nothing « serious » or « critical ».
AXE_SOURCE = (Path(axe_core_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
AXE_FAILING_IMPACTS = {"serious", "critical"}

CHROMIUM = os.environ.get("ETRANGE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ETRANGE_CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ETRANGE_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
SIZES = [("telephone", 360, 740), ("portable", 1280, 800)]
WAIT = float(os.environ.get("ETRANGE_BROWSER_WAIT", "25"))
# The server's ETRANGE_IDLE_AFTER, when the test knows it (run.sh sets both): the idle step needs it.
IDLE_AFTER = int(os.environ.get("ETRANGE_TEST_IDLE_AFTER") or 0)
PASSWORD = "mot-de-passe-solide"

# Selenium Manager must never fetch a browser or a driver: both paths are given, and offline.
os.environ.setdefault("SE_OFFLINE", "true")


# --------------------------------------------------------------------------------------------
# Browsers and helpers


def make_browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--lang=fr-FR", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_page_load_timeout(30)
    return browser


def wait(browser, timeout: float = WAIT) -> WebDriverWait:
    # The pages draw their panels anew when the live channel or a poll brings news: an element
    # found a moment before may be gone, and the next poll of the condition finds the new one.
    return WebDriverWait(browser, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,))


def css(browser, selector: str, timeout: float = WAIT):
    """The first visible element matching `selector`, waiting for it."""
    return wait(browser, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)),
                                        f"élément introuvable : {selector}")


def clickable(browser, selector: str, timeout: float = WAIT):
    return wait(browser, timeout).until(EC.element_to_be_clickable((By.CSS_SELECTOR, selector)),
                                        f"élément non cliquable : {selector}")


def click(browser, selector: str):
    element = clickable(browser, selector)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    return element


def fill(form, name: str, value: str):
    control = form.find_element(By.NAME, name)
    control.clear()
    control.send_keys(value)
    return control


def wait_text(browser, selector: str, text: str, timeout: float = WAIT):
    """Waits until an element matching `selector` contains `text`; returns that element."""
    def found(driver):
        for element in driver.find_elements(By.CSS_SELECTOR, selector):
            try:
                if text in element.text:
                    return element
            except Exception:  # re-rendered meanwhile: look again
                return False
        return False
    return wait(browser, timeout).until(found, f"« {text} » n'apparaît pas dans {selector}")


def wait_route(browser, pattern: str, timeout: float = WAIT) -> re.Match:
    regex = re.compile(pattern)
    wait(browser, timeout).until(lambda d: regex.search(d.current_url), f"l'adresse ne devient pas {pattern}")
    return regex.search(browser.current_url)


def wait_page(browser, heading: str):
    wait_text(browser, "main h1", heading)
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "main > .loading"))


def token_of(browser) -> str | None:
    return browser.execute_script("return localStorage.getItem('etrange.token')")


def api(method: str, path: str, token: str | None = None, body=None):
    """A direct API call, for probing what the server offers; returns (status, json or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE_URL + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, None



def ok(status_body, *expected):
    """The body of an `api` answer whose status is expected (any success by default)."""
    status, body = status_body
    assert status in (expected or (200, 201, 204)), (status, body)
    return body


def partie_table(people: list[tuple[str, str, str]], partie_name: str):
    """Made through the API: `people` as (role, username, display name), the first the MJ of a
    partie the others joined. Returns (people by role, partie)."""
    made = {role: ok(api("POST", "/api/auth/register", body={
        "username": username, "display_name": display, "password": PASSWORD}))
        for role, username, display in people}
    roles = [role for role, _, _ in people]
    partie = ok(api("POST", "/api/parties", made[roles[0]]["token"], {"name": partie_name}))
    for role in roles[1:]:
        ok(api("POST", "/api/parties/join", made[role]["token"], {"invite_code": partie["invite_code"]}))
    return made, partie


def seated_table(people: list[tuple[str, str, str]], partie_name: str, session_name: str):
    """`partie_table`, and a running session of the partie where the second of `people` sits with
    a character named after them. Returns (people by role, partie, session)."""
    made, partie = partie_table(people, partie_name)
    roles = [role for role, _, _ in people]
    mj = made[roles[0]]["token"]
    session = ok(api("POST", "/api/sessions", mj, {"partie_id": partie["id"], "name": session_name, "max_players": 4}))
    ok(api("POST", f"/api/sessions/{session['id']}/start", mj))
    seated = made[roles[1]]
    character = ok(api("POST", "/api/characters", seated["token"], {"name": people[1][2], "partie_id": partie["id"]}))
    ok(api("POST", f"/api/sessions/{session['id']}/join", seated["token"], {"character_id": character["id"]}))
    return made, partie, session


def sign_in(browser, auth: dict):
    """Signs a browser in with an account made through the API, as the page itself would."""
    browser.get(f"{BASE_URL}/#/connexion")
    browser.execute_script(
        "localStorage.setItem('etrange.token', arguments[0]);"
        "localStorage.setItem('etrange.user', JSON.stringify(arguments[1]));", auth["token"], auth["user"])


UNLABELLED = """
    const named = (e) => (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
    const controls = [...document.querySelectorAll('input, select, textarea')]
      .filter((e) => e.type !== 'hidden' && !named(e))
      .map((e) => e.outerHTML.slice(0, 120));
    const buttons = [...document.querySelectorAll('button, a[href]')]
      .filter((e) => !e.textContent.trim() && !e.getAttribute('aria-label'))
      .map((e) => e.outerHTML.slice(0, 120));
    return controls.concat(buttons);
"""


def accessibility_problems(browser) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    browser.set_script_timeout(60)
    # Selenium runs the script through the DevTools protocol: the page's Content-Security-Policy
    # (no inline script) does not apply to it.
    browser.execute_script(AXE_SOURCE)
    violations = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] })
          .then((results) => done(results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1).join(' ')),
          }))))
          .catch((error) => done([{ id: 'axe-error', impact: 'critical', help: String(error), nodes: [] }]));
    """)
    return [f"{v['id']} ({v['impact']}) : {v['help']} — {v['nodes']}"
            for v in violations if v["impact"] in AXE_FAILING_IMPACTS]


def shoot(browser, name: str, sizes=None, section: str | None = None):
    """Full-page screenshots at phone and laptop widths; fails if the phone page scrolls sideways,
    if a control has no label, or if axe-core finds a serious or critical accessibility problem.
    With `section` (a CSS selector), only that part of the page is pictured (the whole page is
    still checked)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    unlabelled = browser.execute_script(UNLABELLED)
    if unlabelled:
        problems.append(f"{name} : contrôles sans libellé : {unlabelled}")
    problems += [f"{name} : accessibilité : {problem}" for problem in accessibility_problems(browser)]
    # Passing messages (toasts) would cover the page in the pictures.
    browser.execute_script("const t = document.getElementById('toasts'); if (t) t.style.visibility = 'hidden';")
    for label, width, height in sizes or SIZES:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
        })
        try:
            wait(browser, 5).until(lambda d: d.execute_script("return window.innerWidth") == width)
            overflow = browser.execute_script("""
                const width = document.documentElement.clientWidth;
                if (document.documentElement.scrollWidth <= width + 1) return null;
                const culprits = [...document.querySelectorAll('body *')]
                  .filter((e) => e.getBoundingClientRect().right > width + 1 && e.offsetParent !== null)
                  .slice(0, 5)
                  .map((e) => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));
                return {scrollWidth: document.documentElement.scrollWidth, width, culprits};
            """)
            if overflow:
                problems.append(f"{name} ({label}) déborde en largeur : {overflow}")
            metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
            content = metrics.get("cssContentSize") or metrics["contentSize"]
            full_height = min(max(int(content["height"]), height), 6000)
            clip = {"x": 0, "y": 0, "width": width, "height": full_height, "scale": 1}
            if section:
                box = browser.execute_script("""
                    const e = document.querySelector(arguments[0]);
                    if (!e) return null;
                    const r = e.getBoundingClientRect();
                    return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
                """, section)
                assert box, f"{name} : {section} introuvable pour la capture"
                margin = 8
                clip = {"x": max(0, box["x"] - margin), "y": max(0, box["y"] - margin),
                        "width": min(width, box["width"] + 2 * margin),
                        "height": min(box["height"] + 2 * margin, 6000), "scale": 1}
            shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True, "clip": clip,
            })
            (SHOTS / f"{name}-{label}.png").write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.execute_script("const t = document.getElementById('toasts'); if (t) t.style.visibility = '';")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# The story's shared state


class Story:
    def __init__(self):
        suffix = secrets.token_hex(3)
        self.mj_name = f"mj_{suffix}"
        self.player_name = f"joueur_{suffix}"
        self.mj_display = "Madame Irma"
        self.player_display = "Jeanne la Rousse"
        self.partie_name = f"Les Brumes de Carnac {suffix}"
        self.session_name = "Séance 1 : la lande"
        self.character_name = "Jeanne Dubois"
        self.summary = "Les enquêteurs ont trouvé le menhir qui chante. Jeanne a perdu son chapeau."
        self.mj = None
        self.player = None
        self.partie_id = None
        self.invite_link = None
        self.session_id = None
        self.joined = False  # the player sat at the table with their character
        self.development = "A perdu son chapeau, mais gagné une amie."
        self.chat_text = "J'entends chanter le menhir, vous aussi ?"
        self.chat_answer = "Oui. Faites un test d'Agilité pour sauter le fossé."
        self.draw_reason = "Sauter le fossé"
        self.player_draw = None  # what the player's draw showed: {total, outcome}
        # A third member, in the partie before the session starts, who never comes to it.
        self.absent_name = f"absent_{suffix}"
        self.absent_display = "Yves l'Absent"
        self.newcomer_name = None  # joins the partie after the session (test 13)
        self.mj_notes = "Note secrète du MJ : le menhir est un portail."
        self.broken = None  # the step that failed, if any
        self.js_errors = []
        self.browsers = []


@pytest.fixture(scope="module")
def story():
    state = Story()
    try:
        state.mj = make_browser()
        state.player = make_browser()
        state.browsers = [state.mj, state.player]
    except Exception as error:
        for browser in state.browsers:
            browser.quit()
        pytest.fail(f"Impossible de lancer Chromium headless ({CHROMIUM}, {CHROMEDRIVER}) : {error}")
    yield state
    for browser in state.browsers:
        try:
            browser.quit()
        except Exception:
            pass


def drain_console(state: Story, browser, who: str):
    """JavaScript errors of the page (failed requests answered by the API are expected)."""
    try:
        entries = browser.get_log("browser")
    except Exception:
        return
    for entry in entries:
        message = entry.get("message", "")
        if entry.get("level") == "SEVERE" and "Failed to load resource" not in message:
            state.js_errors.append(f"{who}: {message}")


def step(*needs: str):
    """Marks a story step: skipped when a step it needs failed; a failure is remembered."""
    def decorate(function):
        @functools.wraps(function)
        def run(story: Story, *args, **kwargs):
            if story.broken and (not needs or story.broken in needs or "*" in needs):
                pytest.skip(f"l'étape « {story.broken} » a échoué")
            try:
                return function(story, *args, **kwargs)
            except pytest.skip.Exception:
                raise
            except BaseException:
                story.broken = function.__name__
                raise
            finally:
                for who, browser in (("MJ", story.mj), ("joueur", story.player)):
                    if browser:
                        drain_console(story, browser, who)
        return run
    return decorate


def register(browser, username: str, display: str):
    browser.get(f"{BASE_URL}/#/inscription")
    wait_page(browser, "Créer un compte")
    form = css(browser, "[data-testid=register-form]")
    fill(form, "username", username)
    fill(form, "display_name", display)
    fill(form, "password", PASSWORD)
    form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
    wait_route(browser, r"#/parties$")
    wait_text(browser, "[data-testid=current-user]", display)
    wait_page(browser, "Mes parties")


# --------------------------------------------------------------------------------------------
# The steps


@step("*")
def test_01_both_register(story: Story):
    story.mj.get(f"{BASE_URL}/#/inscription")
    wait_page(story.mj, "Créer un compte")
    shoot(story.mj, "01-inscription")
    story.mj.get(f"{BASE_URL}/#/connexion")
    wait_page(story.mj, "Connexion")
    shoot(story.mj, "01-connexion")

    register(story.mj, story.mj_name, story.mj_display)
    register(story.player, story.player_name, story.player_display)
    shoot(story.player, "02-parties-vide")

    # Signing out and in again works and shows the server's reason on a wrong password.
    click(story.player, "[data-testid=logout]")
    wait_page(story.player, "Connexion")
    form = css(story.player, "[data-testid=login-form]")
    fill(form, "username", story.player_name)
    fill(form, "password", "pas-le-bon-mot-de-passe")
    form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
    wait_text(story.player, "[data-testid=login-form] [role=alert]", "mot de passe incorrect")
    fill(form, "password", PASSWORD)
    form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
    wait_page(story.player, "Mes parties")


@step("*")
def test_02_mj_creates_a_partie(story: Story):
    mj = story.mj
    form = css(mj, "[data-testid=create-partie-form]")
    fill(form, "name", story.partie_name)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    story.partie_id = int(wait_route(mj, r"#/parties/(\d+)$").group(1))
    wait_page(mj, story.partie_name)

    link = css(mj, "[data-testid=invite-url]")
    wait(mj).until(lambda d: link.get_attribute("value").strip(), "le lien d'invitation reste vide")
    story.invite_link = link.get_attribute("value").strip()
    assert re.search(r"/invitation/[A-Z0-9]+$", story.invite_link), story.invite_link
    code = css(mj, "[data-testid=invite-code]").text.strip()
    assert story.invite_link.endswith(code)

    qr = css(mj, "[data-testid=invite-qr]")
    wait(mj).until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr),
                   "le QR code ne s'affiche pas")
    assert qr.size["width"] >= 250, f"QR code trop petit pour être scanné : {qr.size}"
    wait_text(mj, "[data-testid=members]", story.mj_display)
    shoot(mj, "03-partie-mj")

    mj.get(f"{BASE_URL}/#/parties")
    wait_text(mj, "[data-testid=parties-led]", story.partie_name)
    shoot(mj, "04-parties-mj")


@step("*")
def test_03_player_opens_the_invitation_link(story: Story):
    player = story.player
    path = urlparse(story.invite_link).path  # the server's public address may differ from ours
    player.get(BASE_URL + path)
    wait_route(player, rf"#/parties/{story.partie_id}$")
    wait_page(player, story.partie_name)
    wait_text(player, "[data-testid=members]", story.player_display)
    assert not player.find_elements(By.CSS_SELECTOR, "[data-testid=invite-url]"), "le joueur ne doit pas voir l'invitation"

    story.mj.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    wait_text(story.mj, "[data-testid=members]", story.player_display)


@step("*")
def test_03b_another_player_joins_but_will_miss_the_session(story: Story):
    """A member from before the session who never comes: the attendance table must say ✗."""
    status, body = api("POST", "/api/auth/register", body={
        "username": story.absent_name, "display_name": story.absent_display, "password": PASSWORD})
    assert status in (200, 201), (status, body)
    code = urlparse(story.invite_link).path.rstrip("/").rsplit("/", 1)[1]
    status, body = api("POST", "/api/parties/join", body["token"], {"invite_code": code})
    assert status in (200, 201), (status, body)
    wait_text(story.mj, "[data-testid=members]", story.absent_display)


@step("*")
def test_04_mj_plans_and_starts_a_session(story: Story):
    mj = story.mj
    wait_page(mj, story.partie_name)
    if not css(mj, "[data-testid=create-session]").get_attribute("open"):
        click(mj, "[data-testid=create-session] > summary")
    form = css(mj, "[data-testid=create-session-form]")
    fill(form, "name", story.session_name)
    date = form.find_element(By.NAME, "scheduled_date")
    mj.execute_script("arguments[0].value = arguments[1]", date, "2031-06-21T20:30")
    fill(form, "description", "Une nuit de brume sur la lande bretonne.")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    story.session_id = wait_route(mj, r"#/sessions/([0-9A-Fa-f-]{36})$").group(1)
    wait_page(mj, story.session_name)
    css(mj, "[data-testid=session-status] [data-status=scheduled]")
    wait_text(mj, ".facts", "2031")  # the scheduled date, shown in the browser's zone
    shoot(mj, "05-session-mj-prevue")

    # The player sees the coming session with its date on the partie page.
    story.player.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    card = wait_text(story.player, "[data-testid=sessions-scheduled] [data-testid=session-card]", story.session_name)
    assert "2031" in card.text

    click(mj, "[data-testid=action-start]")
    css(mj, "[data-testid=session-status] [data-status=active]")
    css(mj, "[data-testid=action-pause]")
    css(mj, "[data-testid=action-end]")


@step("*")
def test_05_player_creates_a_character_and_opens_the_session(story: Story):
    player = story.player
    player.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    wait_page(player, story.partie_name)
    form = css(player, "#characters [data-testid=create-character-form]")
    fill(form, "name", story.character_name)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(player, "[data-testid=my-characters]", story.character_name)

    running = wait_text(player, "[data-testid=sessions-running] [data-testid=session-card]", story.session_name)
    shoot(player, "06-partie-joueur")
    running.find_element(By.CSS_SELECTOR, "[data-testid=open-session]").click()
    wait_route(player, rf"#/sessions/{story.session_id}$")
    wait_page(player, story.session_name)
    css(player, "[data-testid=session-status] [data-status=active]")
    assert not player.find_elements(By.CSS_SELECTOR, "[data-testid=action-end]"), "le joueur ne doit pas gérer la session"
    # Without a seat the live channel would refuse the player: the page polls meanwhile,
    # and says so, rather than failing.
    wait_text(player, "[data-testid=live-state][data-mode=polling]", "rejoint")


@step("test_05_player_creates_a_character_and_opens_the_session")
def test_06_player_joins_the_session_with_the_character(story: Story):
    player = story.player
    form = css(player, "[data-testid=join-form]")
    Select(form.find_element(By.NAME, "character_id")).select_by_visible_text(story.character_name)
    click(player, "[data-testid=join-button]")
    wait_text(player, "[data-testid=join]", f"avec {story.character_name}")
    css(player, "[data-testid=leave-button]")
    story.joined = True
    wait_text(story.mj, "[data-testid=participants]", story.character_name)
    shoot(player, "07-session-joueur-a-la-table")


@step("test_05_player_creates_a_character_and_opens_the_session")
def test_07_each_sees_the_other_online(story: Story):
    mj, player = story.mj, story.player
    if not re.search(rf"#/sessions/{story.session_id}$", mj.current_url):
        mj.get(f"{BASE_URL}/#/sessions/{story.session_id}")
    css(mj, f"[data-testid=presence-item][data-username='{story.player_name}'][data-online=true]")
    css(player, f"[data-testid=presence-item][data-username='{story.mj_name}'][data-online=true]")
    # Each person's state is written out (en ligne / inactif / hors ligne), not only a coloured dot.
    label = wait_text(mj, f"[data-testid=presence-item][data-username='{story.player_name}'] [data-testid=presence-state]", "en ligne")
    assert label.get_attribute("data-status") == "online", label.get_attribute("outerHTML")
    for browser in (mj, player):
        # (The MJ, busy in the other browser for a while, may already be « inactif ».)
        states = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=presence-list] [data-testid=presence-state]")]
        items = browser.find_elements(By.CSS_SELECTOR, "[data-testid=presence-item]")
        assert len(states) == len(items) and set(states) <= {"en ligne", "inactif", "hors ligne"}, states
    # Both follow the session over the WebSocket, not by polling.
    css(mj, "[data-testid=live-state][data-mode=live]")
    if story.joined:
        css(player, "[data-testid=live-state][data-mode=live]")
    shoot(mj, "08-session-mj-connectes")


def on_session_page(story: Story, browser):
    if not re.search(rf"#/sessions/{story.session_id}$", browser.current_url):
        browser.get(f"{BASE_URL}/#/sessions/{story.session_id}")
        wait_page(browser, story.session_name)


def mark_no_reload(browser):
    """A flag that a reload would wipe: what is seen afterwards came without reloading."""
    browser.execute_script("window.__sansRechargement = true")


def assert_not_reloaded(browser, who: str):
    assert browser.execute_script("return window.__sansRechargement === true"), f"la page du {who} a été rechargée"


@step("test_06_player_joins_the_session_with_the_character")
def test_08_player_chats_and_the_mj_sees_it_live(story: Story):
    if not story.joined:
        pytest.skip("le joueur n'a pas pu rejoindre la session")
    mj, player = story.mj, story.player
    on_session_page(story, mj)
    on_session_page(story, player)
    css(mj, "[data-testid=chat-list]")
    mark_no_reload(mj)
    mark_no_reload(player)

    form = css(player, "[data-testid=chat-form]")
    label = form.find_element(By.CSS_SELECTOR, "label").text
    assert label, "le champ du message n'a pas de libellé visible"
    message = form.find_element(By.NAME, "body")
    message.send_keys(story.chat_text)
    form.find_element(By.CSS_SELECTOR, "[data-testid=chat-send]").click()
    mine = wait_text(player, "[data-testid=chat-message][data-kind=text]", story.chat_text)
    assert "(vous)" in mine.text
    wait(player).until(lambda d: message.get_attribute("value") == "", "le champ n'est pas vidé après l'envoi")

    # The MJ sees it arrive on the page already open, with who wrote it.
    seen = wait_text(mj, "[data-testid=chat-message][data-kind=text]", story.chat_text)
    assert story.player_display in seen.text, seen.text
    assert_not_reloaded(mj, "MJ")

    # And answers; the player sees the answer the same way.
    form = css(mj, "[data-testid=chat-form]")
    fill(form, "body", story.chat_answer)
    form.find_element(By.CSS_SELECTOR, "[data-testid=chat-send]").click()
    wait_text(player, "[data-testid=chat-message][data-kind=text]", story.chat_answer)
    assert_not_reloaded(player, "joueur")

    # Newest at the bottom: the answer comes after the question.
    texts = [e.text for e in mj.find_elements(By.CSS_SELECTOR, "[data-testid=chat-message]")]
    question = next(i for i, t in enumerate(texts) if story.chat_text in t)
    answer = next(i for i, t in enumerate(texts) if story.chat_answer in t)
    assert question < answer, texts


@step("test_06_player_joins_the_session_with_the_character")
def test_09_player_draws_publicly_and_the_mj_sees_it_in_the_chat(story: Story):
    if not story.joined:
        pytest.skip("le joueur n'a pas pu rejoindre la session")
    mj, player = story.mj, story.player
    on_session_page(story, mj)
    on_session_page(story, player)
    mark_no_reload(mj)

    form = css(player, "[data-testid=draw-form]")
    click(player, "[data-testid=draw-mode-classic]")
    fill(form, "characteristic_name", "Agilité")
    fill(form, "characteristic_value", "3")
    fill(form, "difficulty", "9")
    fill(form, "reason", story.draw_reason)
    click(player, "[data-testid=draw-visibility-public]")
    form.find_element(By.CSS_SELECTOR, "[data-testid=draw-submit]").click()

    # The result as cards: one card (classic mode), kept; a total and a verdict that agree.
    result = css(player, "[data-testid=draw-result-card]")
    cards = result.find_elements(By.CSS_SELECTOR, "[data-testid=card]")
    assert len(cards) == 1, f"une carte attendue en mode classique, {len(cards)} affichées"
    assert cards[0].get_attribute("data-kept") == "true"
    assert re.search(r"[♠♥♦♣]|Joker", cards[0].text), cards[0].text
    if re.search(r"[♥♦]", cards[0].text):
        color = player.execute_script("return getComputedStyle(arguments[0]).color", cards[0])
        assert color.startswith("rgb(1") or color.startswith("rgb(2"), f"un cœur ou un carreau doit être rouge : {color}"
    total = int(result.find_element(By.CSS_SELECTOR, "[data-testid=draw-total]").text)
    outcome = result.find_element(By.CSS_SELECTOR, "[data-testid=draw-outcome]").text
    assert outcome == ("RÉUSSITE" if total >= 9 else "ÉCHEC"), (total, outcome)
    assert "Agilité 3" in result.text and "difficulté 9" in result.text, result.text
    story.player_draw = {"total": total, "outcome": outcome}
    css(player, "[data-testid=deck-remaining]")
    wait_text(player, "[data-testid=draws-list]", story.draw_reason)

    # The MJ sees the draw's line in the chat, styled as a draw, and in the recent draws.
    line = wait_text(mj, "[data-testid=chat-message][data-kind=draw]", "Agilité 3")
    assert outcome in line.text, line.text
    item = wait_text(mj, "[data-testid=draw-item]", story.draw_reason)
    assert f"= {total}" in item.text, item.text
    assert_not_reloaded(mj, "MJ")
    wait_text(player, "[data-testid=chat-message][data-kind=draw]", "Agilité 3")
    shoot(player, "09-session-joueur-discussion-tirage")
    shoot(mj, "09-session-mj-discussion-tirage")


@step("test_04_mj_plans_and_starts_a_session")
def test_10_mj_draws_secretly_with_advantage(story: Story):
    mj, player = story.mj, story.player
    on_session_page(story, mj)
    form = css(mj, "[data-testid=draw-form]")
    click(mj, "[data-testid=draw-mode-advantage]")
    for name in ("characteristic_name", "characteristic_value", "difficulty", "reason"):
        form.find_element(By.NAME, name).clear()
    fill(form, "reason", "Le menhir résiste-t-il ?")
    click(mj, "[data-testid=draw-visibility-mj]")
    form.find_element(By.CSS_SELECTOR, "[data-testid=draw-submit]").click()
    result = wait_text(mj, "[data-testid=draw-result-card]", "MJ seulement")
    cards = result.find_elements(By.CSS_SELECTOR, "[data-testid=card]")
    assert len(cards) == 2, f"deux cartes attendues avec avantage, {len(cards)} affichées"
    kept = [c.get_attribute("data-kept") for c in cards]
    assert sorted(kept) == ["false", "true"], f"une carte gardée et une écartée : {kept}"
    assert not result.find_elements(By.CSS_SELECTOR, "[data-testid=draw-outcome]"), "sans difficulté, pas de verdict"
    wait_text(mj, "[data-testid=draw-item][data-visibility=mj]", "Le menhir")
    shoot(mj, "10-session-mj-tirage-secret")

    # The player is not told: their list of draws stays without it.
    if story.joined and re.search(rf"#/sessions/{story.session_id}$", player.current_url):
        time.sleep(1.5)  # time enough for a live event to arrive, had it been sent
        texts = [e.text for e in player.find_elements(By.CSS_SELECTOR, "[data-testid=draw-item]")]
        assert not any("Le menhir" in t for t in texts), f"le joueur voit un tirage réservé au MJ : {texts}"


@step("test_06_player_joins_the_session_with_the_character")
def test_10b_an_idle_player_turns_inactive_then_back(story: Story):
    """Nobody touches the player's page: the MJ sees them « inactif », live; a click, and the
    page's `{"type":"active"}` brings them back « en ligne »."""
    if not IDLE_AFTER:
        pytest.skip("ETRANGE_TEST_IDLE_AFTER n'est pas défini (run.sh le règle avec ETRANGE_IDLE_AFTER du serveur)")
    if not story.joined:
        pytest.skip("le joueur n'a pas pu rejoindre la session")
    status, presence = api("GET", f"/api/sessions/{story.session_id}/presence", token_of(story.mj))
    assert status == 200 and presence and "status" in presence[0], (status, presence)
    mj, player = story.mj, story.player
    on_session_page(story, mj)
    on_session_page(story, player)
    mark_no_reload(mj)
    selector = f"[data-testid=presence-item][data-username='{story.player_name}'] [data-testid=presence-state]"
    wait_text(mj, selector, "inactif", timeout=IDLE_AFTER + WAIT)
    player_id = next(p["user_id"] for p in presence if p["username"] == story.player_name)
    css(mj, f"[data-testid=participant][data-user-id='{player_id}'][data-status=idle]")
    assert_not_reloaded(mj, "MJ")
    shoot(mj, "10b-session-mj-joueur-inactif", sizes=ATTENDANCE_SIZES, section="#presence-panel")

    ActionChains(player).move_to_element(player.find_element(By.CSS_SELECTOR, "main h1")).click().perform()
    wait_text(mj, selector, "en ligne")
    assert_not_reloaded(mj, "MJ")


@step("test_04_mj_plans_and_starts_a_session")
def test_11_mj_ends_the_session_with_a_summary(story: Story):
    mj = story.mj
    if not re.search(rf"#/sessions/{story.session_id}$", mj.current_url):
        mj.get(f"{BASE_URL}/#/sessions/{story.session_id}")
        wait_page(mj, story.session_name)
    click(mj, "[data-testid=action-end]")
    dialog = css(mj, "dialog[open]")
    assert "Terminer" in dialog.text
    summary = dialog.find_element(By.CSS_SELECTOR, "[data-testid=end-summary]")
    summary.clear()
    summary.send_keys(story.summary)
    shoot(mj, "11-confirmation-fin")
    dialog.find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    css(mj, "[data-testid=session-status] [data-status=completed]")
    wait(mj).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=summary-input]").get_attribute("value") == story.summary,
                   "le résumé n'est pas dans le compte rendu après la fin")
    assert not mj.find_elements(By.CSS_SELECTOR, "[data-testid=action-start]")

    # A key event, written in the account editor and saved.
    click(mj, "[data-testid=add-key-event]")
    row = css(mj, "[data-testid=key-event]:last-child")
    row.find_element(By.NAME, "event_text").send_keys("Le menhir se met à chanter.")
    if story.joined:
        # The character who played can be given a development (known from the participants).
        click(mj, "[data-testid=add-development]")
        row = css(mj, "[data-testid=development]:last-child")
        Select(row.find_element(By.NAME, "dev_character")).select_by_visible_text(story.character_name)
        row.find_element(By.NAME, "dev_text").send_keys(story.development)
    # Private notes: in the MJ's own export only (checked in test 13c).
    notes = mj.find_element(By.CSS_SELECTOR, "[data-testid=account-form] textarea[name=notes]")
    notes.send_keys(story.mj_notes)
    click(mj, "[data-testid=save-account]")
    wait_text(mj, "#account .save-state", "enregistré")
    shoot(mj, "12-session-mj-terminee")


@step("test_11_mj_ends_the_session_with_a_summary")
def test_12_player_reads_the_summary(story: Story):
    player = story.player
    if not re.search(rf"#/sessions/{story.session_id}$", player.current_url):
        player.get(f"{BASE_URL}/#/sessions/{story.session_id}")
    css(player, "[data-testid=session-status] [data-status=completed]")
    wait_text(player, "[data-testid=session-summary]", story.summary)
    wait_text(player, "[data-testid=session-summary]", "Le menhir se met à chanter.")
    if story.joined:
        development = wait_text(player, "[data-testid=session-summary]", story.development)
        assert story.character_name in development.text
    assert "Notes privées" not in player.find_element(By.TAG_NAME, "main").text
    shoot(player, "13-session-joueur-resume")

    player.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    card = wait_text(player, "[data-testid=sessions-past] [data-testid=session-card]", story.session_name)
    assert story.summary in card.text
    shoot(player, "14-partie-joueur-historique")


@step("test_02_mj_creates_a_partie")
def test_13_invitation_opened_before_signing_up(story: Story):
    """A newcomer scans the QR code: the app asks them to sign up, then joins the partie."""
    newcomer = make_browser()
    story.browsers.append(newcomer)
    try:
        newcomer.get(BASE_URL + urlparse(story.invite_link).path)
        wait_page(newcomer, "Invitation à une partie")
        shoot(newcomer, "15-invitation-non-connecte")
        click(newcomer, "[data-testid=invitation-register]")
        wait_page(newcomer, "Créer un compte")
        wait_text(newcomer, "main", "invité·e")
        form = css(newcomer, "[data-testid=register-form]")
        story.newcomer_name = f"nouveau_{secrets.token_hex(3)}"
        fill(form, "username", story.newcomer_name)
        fill(form, "password", PASSWORD)
        form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
        wait_route(newcomer, rf"#/parties/{story.partie_id}$")
        wait_page(newcomer, story.partie_name)
        drain_console(story, newcomer, "nouveau")
    finally:
        newcomer.quit()
        story.browsers.remove(newcomer)


ATTENDANCE_SIZES = [("telephone", 390, 844), ("portable", 1280, 800)]


def attendance_row(browser, username: str):
    return css(browser, f"[data-testid=attendance-row][data-username='{username}']")


def attendance_mark(row) -> tuple[str, str]:
    """(status, visible mark) of the only played session's cell in a row of the table."""
    cells = row.find_elements(By.CSS_SELECTOR, "[data-testid=attendance-cell]")
    assert len(cells) == 1, f"une seule session jouée, {len(cells)} cellules : {row.text}"
    mark = cells[0].find_element(By.CSS_SELECTOR, ".attendance__mark").text
    return cells[0].get_attribute("data-status"), mark


def read_export(browser, button: str) -> str:
    """Opens a Markdown export, checks its file link, returns its text and closes the dialog."""
    click(browser, button)
    dialog = css(browser, "dialog[open] [data-testid=export-dialog]")
    text = css(browser, "dialog[open] [data-testid=export-text]").get_attribute("textContent")
    link = dialog.find_element(By.CSS_SELECTOR, "[data-testid=export-download]")
    assert link.get_attribute("href").startswith("blob:"), link.get_attribute("href")
    assert link.get_attribute("download").endswith(".md"), link.get_attribute("download")
    # The file offered for download is the same text (fetched with the token, kept as a Blob).
    blob_text = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done('ERREUR ' + e));",
        link.get_attribute("href"))
    assert blob_text == text, "le fichier proposé n'a pas le texte affiché"
    return text


def close_dialog(browser):
    browser.find_element(By.CSS_SELECTOR, "dialog[open] [data-role=confirm]").click()
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog[open]"), "le dialogue ne se ferme pas")


@step("test_11_mj_ends_the_session_with_a_summary")
def test_13b_attendance_on_the_partie_page(story: Story):
    for browser in (story.player, story.mj):
        browser.get(f"{BASE_URL}/#/parties/{story.partie_id}")
        wait_page(browser, story.partie_name)
        wait_text(browser, "[data-testid=attendance-table] thead", story.session_name)

        # The player who sat at the table: ✓; the member who never came: ✗; the newcomer who
        # joined the partie afterwards: —.
        if story.joined:
            row = attendance_row(browser, story.player_name)
            assert attendance_mark(row) == ("attended", "✓"), row.text
            assert row.find_element(By.CSS_SELECTOR, "[data-testid=attendance-attended]").text == "1", row.text
            assert row.find_element(By.CSS_SELECTOR, "[data-testid=attendance-missed]").text == "0", row.text
        row = attendance_row(browser, story.absent_name)
        assert attendance_mark(row) == ("missed", "✗"), row.text
        assert row.find_element(By.CSS_SELECTOR, "[data-testid=attendance-attended]").text == "0", row.text
        assert row.find_element(By.CSS_SELECTOR, "[data-testid=attendance-missed]").text == "1", row.text
        if story.newcomer_name:
            assert attendance_mark(attendance_row(browser, story.newcomer_name)) == ("not_member", "—")
        # The MJ, seated as master while the session ran, attended too.
        row = attendance_row(browser, story.mj_name)
        assert attendance_mark(row) == ("attended", "✓"), row.text
        assert "MJ" in row.find_element(By.CSS_SELECTOR, "th").text, row.text
        # Screen readers hear the words, not only the marks; headers name rows and columns.
        assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=attendance-table] thead th[scope=col]")
        assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=attendance-table] tbody th[scope=row]")
        css(browser, f"[data-testid=attendance-chart] [data-testid=attendance-bar][data-user-id]")
        css(browser, "[data-testid=export-log]")
    shoot(story.player, "16-partie-assiduite-joueur", sizes=ATTENDANCE_SIZES, section="#attendance")
    shoot(story.mj, "16-partie-assiduite-mj", sizes=ATTENDANCE_SIZES, section="#attendance")


@step("test_11_mj_ends_the_session_with_a_summary")
def test_13c_markdown_exports(story: Story):
    player, mj = story.player, story.mj

    # The campaign log, from the partie page: the session is in it, the MJ's notes are not.
    player.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    wait_page(player, story.partie_name)
    text = read_export(player, "[data-testid=export-log]")
    assert story.session_name in text, text
    assert story.summary in text, text
    assert story.mj_notes not in text, "le journal du joueur contient les notes du MJ"
    shoot(player, "17-export-journal-joueur", sizes=ATTENDANCE_SIZES, section="dialog[open]")
    close_dialog(player)

    # The session's account, from the session page.
    player.get(f"{BASE_URL}/#/sessions/{story.session_id}")
    wait_page(player, story.session_name)
    text = read_export(player, "[data-testid=export-recap]")
    assert story.session_name in text, text
    assert story.mj_notes not in text, "le compte rendu du joueur contient les notes du MJ"
    close_dialog(player)

    # The MJ's own copy has their notes.
    on_session_page(story, mj)
    text = read_export(mj, "[data-testid=export-recap]")
    assert story.session_name in text, text
    assert story.mj_notes in text, "le compte rendu du MJ n'a pas ses notes"
    close_dialog(mj)


@step("test_04_mj_plans_and_starts_a_session")
def test_13d_calendar_feed(story: Story):
    player = story.player
    click(player, "[data-testid=current-user]")
    wait_route(player, r"#/compte$")
    wait_page(player, "Mon compte")
    click(player, "[data-testid=calendar-create]")
    url = css(player, "[data-testid=calendar-url]").get_attribute("value")
    assert re.search(r"/api/calendar/[^/]+\.ics$", url), url
    path = urlparse(url).path

    def ics(path):
        try:
            with urllib.request.urlopen(BASE_URL + path, timeout=10) as response:
                return response.status, response.read().decode().replace("\r\n ", "")
        except urllib.error.HTTPError as error:
            return error.code, ""
    status, body = ics(path)
    assert status == 200 and "BEGIN:VCALENDAR" in body, (status, body[:300])
    assert story.session_name in body, body
    shoot(player, "18-compte-agenda", sizes=ATTENDANCE_SIZES)

    # A new address: the old one stops working at once.
    click(player, "[data-testid=calendar-rotate]")
    css(player, "dialog[open]").find_element(By.CSS_SELECTOR, "[data-role=confirm]").click()
    current = "const e = document.querySelector('[data-testid=calendar-url]'); return e ? e.value : null;"
    wait(player).until(lambda d: d.execute_script(current) not in (None, "", url), "la nouvelle adresse n'apparaît pas")
    assert ics(path)[0] == 404, "l'ancienne adresse fonctionne encore"


@step("test_02_mj_creates_a_partie")
def test_13e_mj_partie_settings(story: Story):
    mj = story.mj
    mj.get(f"{BASE_URL}/#/parties/{story.partie_id}")
    wait_page(mj, story.partie_name)
    click(mj, "[data-testid=partie-settings] > summary")
    webhook = css(mj, "[data-testid=webhook]")
    form = css(mj, "[data-testid=partie-settings-form]")
    fill(form, "session_length_minutes", "195")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(mj, "#toasts", "enregistrés")
    status, partie = api("GET", f"/api/parties/{story.partie_id}", token_of(mj))
    assert status == 200 and partie.get("session_length_minutes") == 195, partie
    css(mj, "[data-testid=webhook-form]")
    assert webhook.is_displayed()

    # A webhook to a receiver of our own on the loopback (run.sh lets the server reach it), tested
    # from the page: the secret is shown once, the test delivery arrives signed with it.
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        form = css(mj, "[data-testid=webhook-form]")
        fill(form, "url", f"http://127.0.0.1:{server.server_address[1]}/crochet")
        Select(form.find_element(By.NAME, "format")).select_by_value("json")
        form.find_element(By.CSS_SELECTOR, "[data-testid=webhook-save]").click()

        def outcome(driver):
            if driver.find_elements(By.CSS_SELECTOR, "[data-testid=webhook-secret]"):
                return "secret"
            alerts = driver.find_elements(By.CSS_SELECTOR, "[data-testid=webhook-form] [role=alert]")
            return alerts[0].text if alerts else False
        result = wait(mj).until(outcome, "ni secret ni erreur après l'enregistrement du webhook")
        if result != "secret":
            if "privées" in result:
                pytest.skip(f"le serveur refuse le webhook local (ETRANGE_WEBHOOK_ALLOW_PRIVATE) : {result}")
            raise AssertionError(result)
        secret = css(mj, "[data-testid=webhook-secret]").get_attribute("value")
        assert re.fullmatch(r"[0-9a-f]{64}", secret), secret
        click(mj, "[data-testid=webhook-test]")
        wait_text(mj, "[data-testid=webhook-delivery][data-status=delivered]", "Test")
        headers, body = next((h, b) for h, b in received if h.get("x-etrange-event") == "webhook.test")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers.get("x-etrange-signature") == expected, (headers, expected)
        assert json.loads(body)["partie"]["id"] == story.partie_id
        shoot(mj, "19-partie-mj-parametres", sizes=ATTENDANCE_SIZES, section="#partie-settings")
    finally:
        server.shutdown()


@step("test_01_both_register")
def test_14_failures_are_explained(story: Story):
    """A wrong invitation code and an unknown page give a clear message, not a blank page."""
    player = story.player
    player.get(f"{BASE_URL}/#/parties")
    wait_page(player, "Mes parties")
    form = css(player, "[data-testid=join-partie-form]")
    fill(form, "invite_code", "ZZZZZZZZ")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(player, "[data-testid=join-partie-form] [role=alert]", "Code d'invitation inconnu")

    player.get(f"{BASE_URL}/#/sessions/{uuid.uuid4()}")
    wait_text(player, "main [role=alert]", "introuvable")
    player.get(f"{BASE_URL}/#/nulle-part")
    wait_page(player, "Page introuvable")

    # A token the server no longer knows brings back the sign-in page, with a word of why.
    player.execute_script("localStorage.setItem('etrange.token', 'jeton-perime')")
    player.get(f"{BASE_URL}/#/parties/{story.partie_id or 1}")
    wait_route(player, r"#/connexion$")
    wait_text(player, "#toasts", "expiré")
    form = css(player, "[data-testid=login-form]")
    fill(form, "username", story.player_name)
    fill(form, "password", PASSWORD)
    form.find_element(By.CSS_SELECTOR, "[data-testid=auth-submit]").click()
    # Back where they were going once signed in again.
    wait_route(player, rf"#/parties/{story.partie_id}$" if story.partie_id else r"#/parties")


def test_15_no_javascript_errors(story: Story):
    for who, browser in (("MJ", story.mj), ("joueur", story.player)):
        drain_console(story, browser, who)
    assert not story.js_errors, "\n".join(story.js_errors)
