"""Recurring sessions (issue #26, point 3): the MJ programs a weekly series at 20:30 in
Europe/Paris on the partie page, across the change to summer time of 28 March 2027, sees a wrong
time zone refused in French, and the player sees the occurrences; then the calendar feed, with
a series across the return to winter time of 31 October 2027 where one evening is cancelled and
one moved, is expanded by `icalendar` and `recurring-ical-events` as a calendar program would:
20:30 in Paris on both sides (19:30 then 18:30 UTC in spring, the reverse in autumn), the
cancelled evening absent, the moved one at its new time, no evening twice, alarms kept.

Shares the server of run.sh; its own people and partie, made through the API. Screenshots go to
artifacts/screenshots/ as 3x-series-*.png through `shoot`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlparse

import pytest
import recurring_ical_events
from icalendar import Calendar
from selenium.webdriver.common.by import By

from test_story import (BASE_URL, api, click, css, make_browser, ok, partie_table, shoot, sign_in, wait, wait_page,
                        wait_text)

SPRING_NAME = "Les vendredis du phare"


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    people, partie = partie_table(
        [("mj", f"mjr_{suffix}", "Madame Irma"), ("player", f"jr_{suffix}", "Jeanne la Rousse")],
        f"Les Soirées de Brest {suffix}")
    browser = make_browser()
    yield {**people, "partie": partie, "browser": browser}
    browser.quit()


def set_value(browser, form, name: str, value: str):
    """Date and time inputs take keys in the browser's locale: set their value as a script would."""
    control = form.find_element(By.NAME, name)
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
        control, value)


def occurrence_texts(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('[data-testid=series] [data-testid=series-occurrence]')]"
        ".map((e) => e.textContent.trim())")


def test_mj_programs_a_weekly_series_across_summer_time(table):
    browser = table["browser"]
    partie_id = table["partie"]["id"]
    sign_in(browser, table["mj"])
    browser.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_page(browser, "Les Soirées de Brest")
    click(browser, "[data-testid=create-series] summary")
    form = css(browser, "[data-testid=series-form]")
    assert form.find_element(By.NAME, "time_zone").get_attribute("value") == "Europe/Paris"
    assert form.find_element(By.NAME, "time").get_attribute("value") == "20:30"
    form.find_element(By.NAME, "name").send_keys(SPRING_NAME)
    set_value(browser, form, "first_date", "2027-03-19")
    count = form.find_element(By.NAME, "count")
    count.clear()
    count.send_keys("4")

    # A zone that does not exist: refused on its field, in French, nothing written.
    zone = form.find_element(By.NAME, "time_zone")
    zone.clear()
    zone.send_keys("Europe/Lutèce")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(browser, "[data-testid=series-form] .form-error", "Fuseau horaire : fuseau horaire inconnu")
    assert zone.get_attribute("aria-invalid") == "true"
    shoot(browser, "3x-series-refused", section="#series")
    assert ok(api("GET", f"/api/parties/{partie_id}/series", table["mj"]["token"])) == []

    zone.clear()
    zone.send_keys("Europe/Paris")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_text(browser, "[data-testid=series-rule]", "Chaque vendredi à 20:30 (Europe/Paris), 4 séances.")
    wait(browser).until(lambda d: len(occurrence_texts(d)) == 4)
    texts = occurrence_texts(browser)
    # 28 March 2027: summer time; the evenings stay at 20:30 in Paris on both sides.
    for day, text in zip(["19 mars", "26 mars", "2 avril", "9 avril"], texts):
        assert day in text and "20:30" in text, texts
    series = ok(api("GET", f"/api/parties/{partie_id}/series", table["mj"]["token"]))[0]
    assert [o["scheduled_date"] for o in series["occurrences"]] == [
        "2027-03-19T19:30:00Z", "2027-03-26T19:30:00Z", "2027-04-02T18:30:00Z", "2027-04-09T18:30:00Z"]
    # Each occurrence of the horizon is a normal session of the partie.
    wait_text(browser, "[data-testid=sessions-scheduled]", SPRING_NAME)
    shoot(browser, "3x-series-mj", section="#series")

    # The MJ cancels the second evening from the list.
    buttons = browser.find_elements(By.CSS_SELECTOR, "[data-testid=series-occurrence][data-index='1'] [data-testid=series-cancel-one]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", buttons[0])
    buttons[0].click()
    wait(browser).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, "[data-testid=series-occurrence][data-index='1'][data-exception=cancelled]"))


def test_player_sees_the_series_without_the_form(table):
    browser = table["browser"]
    browser.delete_all_cookies()
    browser.execute_script("localStorage.clear()")
    sign_in(browser, table["player"])
    browser.get(f"{BASE_URL}/#/parties/{table['partie']['id']}")
    wait_page(browser, "Les Soirées de Brest")
    wait_text(browser, "[data-testid=series-rule]", "Chaque vendredi à 20:30")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=create-series]")
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=series-cancel-one]")
    wait_text(browser, "[data-testid=series-occurrence][data-index='1']", "annulée")
    shoot(browser, "3x-series-player", section="#series")


def test_the_feed_expands_as_a_calendar_program_would(table):
    mj, player, partie_id = table["mj"]["token"], table["player"]["token"], table["partie"]["id"]
    autumn = ok(api("POST", f"/api/parties/{partie_id}/series", mj, {
        "name": "Les vendredis d'automne", "frequency": "weekly", "first_date": "2027-10-15", "time": "20:30",
        "time_zone": "Europe/Paris", "count": 4}))
    made = autumn["occurrences"]
    ok(api("POST", f"/api/sessions/{made[1]['session_id']}/cancel", mj))
    ok(api("PUT", f"/api/sessions/{made[2]['session_id']}", mj, {"scheduled_date": "2027-10-30T19:00:00Z"}))
    # A session of its own beside the series, listed once as itself.
    ok(api("POST", "/api/sessions", mj, {"partie_id": partie_id, "name": "Hors série",
                                          "scheduled_date": "2027-11-20T19:00:00Z"}))
    url = ok(api("POST", "/api/calendar/feed", player))["url"]
    # The feed is read as a calendar program reads it: no bearer, the secret in the path.
    import urllib.request
    with urllib.request.urlopen(BASE_URL + urlparse(url).path, timeout=10) as response:
        text = response.read()
    calendar = Calendar.from_ical(text)
    assert b"BEGIN:VTIMEZONE" in text and b"DTSTART;TZID=Europe/Paris:20271015T203000" in text
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    rows = sorted((e["DTSTART"].dt.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
                   e["DTSTART"].dt.strftime("%H:%M"), str(e["SUMMARY"]), len(list(e.walk("VALARM"))))
                  for e in events)
    partie = table["partie"]["name"]
    assert [(utc, local) for utc, local, _, _ in rows] == [
        ("2027-03-19 19:30", "20:30"),  # winter time
        ("2027-04-02 18:30", "20:30"),  # summer time from 28 March; the 26th was cancelled
        ("2027-04-09 18:30", "20:30"),
        ("2027-10-15 18:30", "20:30"),  # summer time
        ("2027-10-30 19:00", "21:00"),  # moved (the 22nd was cancelled)
        ("2027-11-05 19:30", "20:30"),  # winter time from 31 October
        ("2027-11-20 19:00", "19:00"),  # the session of its own, written in UTC
    ], rows
    assert [summary for _, _, summary, _ in rows][:3] == [f"{partie} — {SPRING_NAME}"] * 3
    assert all(alarms == 2 for _, _, _, alarms in rows), rows
