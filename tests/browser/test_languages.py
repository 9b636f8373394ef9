"""The site in the reader's language, in a real browser: a French browser gets French; the
switcher turns the site German for the rest of the visit; what the scripts write (the
margin's counts and forms, the keyboard selection's words) is in the page's language too;
and axe finds nothing wrong with the languages the page declares."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_margin import DESKTOP, KEY, PAPER_URL, busy_section  # noqa: F401
from tests.conftest import DEFAULT_PASSWORD
from tests.web.test_translated_pages import english_in, paper_texts, shown_texts

pytestmark = [pytest.mark.browser, pytest.mark.presentation]


@pytest.fixture
def french_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr"}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}"))
    yield page
    context.close()
    assert not errors, "uncaught JavaScript errors on the page:\n" + "\n".join(errors)


def test_a_french_reader_meets_french_also_in_what_scripts_write(
    french_page,
    busy_section,  # noqa: F811
    db,
    create_user,
):
    page = french_page
    reader = create_user(name="Mira Membre")
    db.session.commit()
    page.goto(f"/login?next={PAPER_URL}")
    page.get_by_label("Adresse e-mail").fill(reader.email)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{PAPER_URL}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-current", "true")
    page.locator(f"#{KEY} .para-count").first.click()  # drawn by margin.js
    form = page.get_by_role("form", name="Commenter le paragraphe 1")
    expect(form).to_be_visible()
    expect(form.get_by_role("button", name="Aperçu")).to_be_visible()
    found = english_in(shown_texts(page.content(), "fr"), paper_texts(db))
    assert not found, "English on the French page after the scripts ran:\n" + "\n".join(found)
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_the_switcher_turns_the_site_german_for_the_rest_of_the_visit(
    french_page,
    busy_section,  # noqa: F811
):
    page = french_page
    page.goto("/glossary/")
    page.get_by_role("button", name="Deutsch").click()
    page.wait_for_url("**/glossary/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Glossar")
    page.goto(PAPER_URL)  # the cookie outweighs the French browser
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Deutsch")).to_have_attribute("aria-current", "true")
    assert re.search(r"Abschnitt|Diskussion", page.locator("main").inner_text())
