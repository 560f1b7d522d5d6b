"""Handouts (issue #25): the MJ uploads a photo on the partie page and shows it to one player
only; that player sees it in the partie's gallery and, live, on the running session's page; the
other player never gets it (checked through the API, on every path a player has).

Shares the server of run.sh with the other browser tests; its own people and partie, made through
the API. Screenshots go to artifacts/screenshots/ as 4x-handouts-*.png, each state checked by
axe-core (serious or critical problems fail) through `shoot`.
"""

from __future__ import annotations

import base64
import secrets
import tempfile
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from test_story import BASE_URL, api, ok, seated_table, sign_in, css, make_browser, shoot, wait, wait_page, wait_text

# 24 × 16 pixels of noise, written by libvips (`vips gaussnoise`, `vips jpegsave --strip`).
JPEG = base64.b64decode(
    "/9j/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAQABgDAREAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCkun6fq1pZ6gZBc6y0Cx2dxDJGsMDsimOTygA2VKJJgR/MAdxG5tgBPOsWq3lwbxrR7W8VbiO6vpYQkZMCPHgBsysSUzkssYKAZHLAE9g1pe6oIZ4mLRoJYWXKA+XHGrxBW+X77AvEBjmJjkl2oAhvUW71KKyWws4VnVIIo43CzhZFdmJWFiGEkTBslj8rooAI3OAXReWqzTwwKLhJXiaaa6hRHtpHEuWKMgAcCSQ4c4DHAb+FADMtrbTzbxQW32u4MIhkw9nIEjuFK5ZlypKqV84KgDbgTyz5YA//2Q==")


@pytest.fixture(scope="module")
def table():
    suffix = secrets.token_hex(3)
    # Armand sits at the table: a player's page opens the live channel once seated.
    people, partie, session = seated_table(
        [("mj", f"mjh_{suffix}", "Madame Irma"), ("armand", f"arh_{suffix}", "Armand"), ("berthe", f"beh_{suffix}", "Berthe")],
        f"L'Affaire du Vésinet {suffix}", "La villa")
    folder = Path(tempfile.mkdtemp(prefix="etrange-handout-"))
    photo = folder / "coupure.jpg"
    photo.write_bytes(JPEG)
    mj, armand = make_browser(), make_browser()
    yield {**people, "partie": partie, "session": session, "photo": photo, "mj_browser": mj, "armand_browser": armand}
    mj.quit()
    armand.quit()


def test_the_mj_shows_a_photo_to_armand_only(table):
    mj, armand = table["mj_browser"], table["armand_browser"]
    partie_id = table["partie"]["id"]
    sign_in(armand, table["armand"])
    armand.get(f"{BASE_URL}/#/sessions/{table['session']['id']}")
    css(armand, "[data-testid=session-handouts]")

    sign_in(mj, table["mj"])
    mj.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_page(mj, "L'Affaire du Vésinet")
    form = css(mj, "[data-testid=handout-form]")
    form.find_element(By.NAME, "title").send_keys("Coupure du Petit Parisien")
    form.find_element(By.NAME, "caption").send_keys("« Disparition mystérieuse au Vésinet »")
    form.find_element(By.NAME, "file").send_keys(str(table["photo"]))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    figure = "[data-testid=handouts] [data-testid=handout]"
    wait_text(mj, figure, "Coupure du Petit Parisien")
    wait(mj).until(lambda d: d.execute_script(
        "const i = document.querySelector(arguments[0] + ' img'); return i && i.complete && i.naturalWidth > 0", figure),
        "la photo ne s'affiche pas chez le MJ")
    wait_text(mj, f"{figure} [data-testid=handout-audience]", "Visible de vous seul")

    # Only Armand is ticked.
    boxes = mj.find_elements(By.CSS_SELECTOR, f"{figure} input[name=player]")
    armand_id = table["armand"]["user"]["id"]
    for box in boxes:
        if int(box.get_attribute("value")) == armand_id:
            mj.execute_script("arguments[0].click()", box)
    buttons = mj.find_elements(By.CSS_SELECTOR, f"{figure} button")
    next(b for b in buttons if b.text == "Montrer aux joueurs cochés").click()
    wait_text(mj, f"{figure} [data-testid=handout-audience]", "Montré à Armand")
    shoot(mj, "40-handouts-mj", section="#handouts")

    # Armand's session page gets it live, with the picture.
    wait_text(armand, "[data-testid=session-handouts]", "Coupure du Petit Parisien")
    wait(armand).until(lambda d: d.execute_script(
        "const i = document.querySelector('[data-testid=session-handouts] img'); return i && i.complete && i.naturalWidth > 0"),
        "la photo n'arrive pas sur la page de session d'Armand")
    # On a phone the documents are under the « Table » tab.
    armand.execute_script("document.querySelector('[data-testid=tab-table]').click()")
    shoot(armand, "41-handouts-session-joueur", section="#session-handouts")
    armand.get(f"{BASE_URL}/#/parties/{partie_id}")
    wait_text(armand, "[data-testid=handouts]", "Disparition mystérieuse")
    shoot(armand, "42-handouts-galerie-joueur", section="#handouts")

    # Berthe has nothing: not in the list, not the file.
    berthe = table["berthe"]["token"]
    listed = ok(api("GET", f"/api/parties/{partie_id}/handouts", berthe))
    assert listed == []
    handout = ok(api("GET", f"/api/parties/{partie_id}/handouts", table["mj"]["token"]))[0]
    status, _ = api("GET", handout["file_url"], berthe)
    assert status == 404
