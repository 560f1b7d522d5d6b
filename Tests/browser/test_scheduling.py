"""Getting the table together (issue #26): a player answers a scheduled session (RSVP) on the
partie page and again, with a comment, on the session page, then answers the MJ's date poll in
its grid; the MJ closes the poll and the session it creates appears.

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 3x-scheduling-*.png, each state checked by
axe-core (serious or critical problems fail) through `shoot`.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_story import (BASE_URL, api, click, css, make_browser, ok, partie_table, shoot, sign_in, wait, wait_page,
                        wait_text)


def iso(hours: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie = partie_table(
        [("mj", f"mjs_{suffix}", "Madame Irma"), ("player", f"js_{suffix}", "Jeanne la Rousse")],
        f"Les Soirées de Quimper {suffix}")
    mj, player = people["mj"], people["player"]
    session = ok(api("POST", "/api/sessions", mj["token"], {
        "partie_id": partie["id"], "name": "Le phare", "scheduled_date": iso(48), "max_players": 4}))
    poll = ok(api("POST", f"/api/parties/{partie['id']}/polls", mj["token"], {
        "name": "La crypte", "description": "Après le phare.", "max_players": 5,
        "slots": [iso(24 * 7), iso(24 * 8), iso(24 * 9)]}))
    browser = make_browser()
    yield {"mj": mj, "player": player, "partie": partie, "session": session, "poll": poll, "browser": browser}
    browser.quit()


def test_player_answers_a_session_and_a_poll(table):
    browser = table["browser"]
    partie_id = table["partie"]["id"]
    sign_in(browser, table["player"])
    browser.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_page(browser, "Les Soirées de Quimper")

    # On the partie page: « Oui » on the session's card.
    card = f"[data-testid=session-card][data-session-id='{table['session']['id']}']"
    click(browser, f"{card} [data-testid=rsvp-yes]")
    wait_text(browser, f"{card} [data-testid=rsvp-counts]", "1 oui")
    pressed = css(browser, f"{card} [data-testid=rsvp-yes]")
    assert pressed.get_attribute("aria-pressed") == "true"
    mine = ok(api("GET", f"/api/sessions/{table['session']['id']}", table["player"]["token"]))["rsvp"]["mine"]
    assert mine["answer"] == "yes"

    # The poll's grid: the player answers the first two slots.
    grid = "[data-testid=poll] [data-testid=poll-grid]"
    css(browser, grid)
    # The page reads the polls again every few seconds and draws the grid anew: an element found
    # before a redraw is gone after it, so each answer finds its select again if that happened.
    def answer(index: int, value: str):
        for attempt in range(3):
            try:
                Select(browser.find_elements(By.CSS_SELECTOR, f"{grid} select[data-testid=poll-answer]")[index]) \
                    .select_by_value(value)
                return
            except StaleElementReferenceException:
                if attempt == 2:
                    raise

    counts = f"{grid} [data-testid=poll-count]"
    answer(0, "yes")
    wait_text(browser, f"{grid} tfoot", "1 / 0")
    answer(1, "maybe")
    wait(browser).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim())", counts)[:2]
        == ["1 / 0", "0 / 1"])
    shoot(browser, "3x-scheduling-partie", section="#polls")
    answers = ok(api("GET", f"/api/polls/{table['poll']['id']}", table["mj"]["token"]))["answers"]
    assert sorted(a["answer"] for a in answers) == ["maybe", "yes"]

    # On the session page: change to « Peut-être » with a comment.
    browser.get(f"{BASE_URL}/#/sessions/{table['session']['id']}")
    wait_page(browser, "Le phare")
    comment = css(browser, "[data-testid=rsvp-comment]")
    comment.clear()
    comment.send_keys("en retard de 30 min")
    click(browser, "[data-testid=rsvp-panel] [data-testid=rsvp-maybe]")
    wait_text(browser, "[data-testid=rsvp-answers]", "en retard de 30 min")
    wait_text(browser, "[data-testid=rsvp-panel] [data-testid=rsvp-counts]", "0 oui · 1 peut-être")
    shoot(browser, "3x-scheduling-session", section="#rsvp")

    # The MJ sees who has not answered (nobody now) and closes the poll: the session appears.
    listing = ok(api("GET", f"/api/sessions/{table['session']['id']}/rsvps", table["mj"]["token"]))
    assert listing["not_answered"] == [] and listing["answers"][0]["comment"] == "en retard de 30 min"
    poll = table["poll"]
    closed = ok(api("POST", f"/api/polls/{poll['id']}/close", table["mj"]["token"], {"slot_id": poll["slots"][0]["id"]}))
    browser.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_page(browser, "Les Soirées de Quimper")
    wait_text(browser, "[data-testid=poll]", "clos")
    wait_text(browser, "[data-testid=sessions-scheduled]", "La crypte")
    assert closed["session_id"]
    shoot(browser, "3x-scheduling-closed")


def test_the_grid_moves_as_the_others_answer(table):
    """The page waits on the partie's changes: another member's answer shows within a couple of
    seconds, well before the page's periodic refresh (8 s). Three answers in a row, so that the
    periodic refresh falling in the window by chance cannot pass the test alone."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser = table["browser"]
    partie_id = table["partie"]["id"]
    poll = ok(api("POST", f"/api/parties/{partie_id}/polls", table["mj"]["token"], {
        "name": "Le cloître", "slots": [iso(24 * 10), iso(24 * 11)]}))
    browser.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_page(browser, "Les Soirées de Quimper")
    wait_text(browser, "[data-testid=polls]", "Le cloître")
    counts = "[data-testid=poll-count]"

    def shown() -> list[str]:
        return browser.execute_script(
            "const poll = [...document.querySelectorAll('[data-testid=poll]')]"
            ".find((p) => p.textContent.includes('Le cloître'));"
            "return poll ? [...poll.querySelectorAll(arguments[0])].map((e) => e.textContent.trim()) : [];",
            counts)

    for answers, expected in (
        ([("yes", 0)], ["1 / 0", "0 / 0"]),
        ([("maybe", 0), ("yes", 1)], ["0 / 1", "1 / 0"]),
        ([("no", 0), ("maybe", 1)], ["0 / 0", "0 / 1"]),
    ):
        ok(api("PUT", f"/api/polls/{poll['id']}/answers", table["mj"]["token"], {
            "answers": [{"slot_id": poll["slots"][index]["id"], "answer": value} for value, index in answers]}))
        WebDriverWait(browser, 2.5, poll_frequency=0.1).until(lambda _: shown()[:2] == expected)
