"""Password recovery without e-mail (issue #27, point 4): the host runs `etrange reset-password`
beside the server, the person opens the printed link, chooses a new password twice, lands on the
sign-in page with a toast, and signs in with it; the old password and the old token are refused,
and the link does not work twice.

Shares the server of run.sh with the other browser tests (which hands over the server's binary and
database); its own account, made through the API. Screenshots go to artifacts/screenshots/ as
27-reset-*.png at phone and laptop sizes, each state checked by axe-core through `shoot`.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess

import pytest

from test_story import BASE_URL, PASSWORD, api, ok, css, fill, make_browser, shoot, wait, wait_page, wait_route, wait_text

BINARY = os.environ.get("ETRANGE_TEST_BINARY")
DATABASE_URL = os.environ.get("ETRANGE_TEST_DATABASE_URL")
NEW_PASSWORD = "un-nouveau-mot-de-passe"


@pytest.mark.skipif(not (BINARY and DATABASE_URL), reason="run.sh donne le binaire et la base du serveur")
def test_a_printed_link_sets_a_new_password_once():
    username = f"oublieuse{secrets.token_hex(3)}"
    account = ok(api("POST", "/api/auth/register", body={"username": username, "password": PASSWORD}))
    printed = subprocess.run(
        [BINARY, "reset-password", username], capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": DATABASE_URL, "ETRANGE_PUBLIC_URL": BASE_URL})
    assert printed.returncode == 0, printed.stderr
    link = re.search(r"(http\S+/#/mot-de-passe/(\S+))", printed.stdout)
    assert link, printed.stdout
    unknown = subprocess.run(
        [BINARY, "reset-password", "personne-de-ce-nom"], capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": DATABASE_URL})
    assert unknown.returncode == 1 and "aucun compte" in unknown.stderr, (unknown.returncode, unknown.stderr)

    browser = make_browser()
    try:
        browser.get(link.group(1))
        wait_page(browser, "Nouveau mot de passe")
        form = css(browser, "[data-testid=reset-form]")
        fill(form, "password", NEW_PASSWORD)
        fill(form, "password_again", NEW_PASSWORD + "x")
        css(browser, "[data-testid=reset-submit]").click()
        wait_text(browser, "[data-testid=reset-form] .form-error", "pas identiques")
        shoot(browser, "27-reset-mismatch")
        fill(form, "password_again", NEW_PASSWORD)
        css(browser, "[data-testid=reset-submit]").click()
        wait_route(browser, r"#/connexion$")
        wait_text(browser, "body", "Mot de passe changé")
        shoot(browser, "27-reset-done")

        assert api("GET", "/api/me", account["token"])[0] == 401
        assert api("POST", "/api/auth/login", body={"username": username, "password": PASSWORD})[0] == 401
        ok(api("POST", "/api/auth/login", body={"username": username, "password": NEW_PASSWORD}))

        # The same link a second time: the page shows the server's refusal.
        browser.get(link.group(1))
        browser.refresh()
        wait_page(browser, "Nouveau mot de passe")
        form = css(browser, "[data-testid=reset-form]")
        fill(form, "password", "encore-un-autre")
        fill(form, "password_again", "encore-un-autre")
        css(browser, "[data-testid=reset-submit]").click()
        wait_text(browser, "[data-testid=reset-form] .form-error", "déjà utilisé")
        shoot(browser, "27-reset-used")
    finally:
        browser.quit()
