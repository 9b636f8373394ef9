"""The account page's list of sessions, as a person uses it: readable on a phone, free of
axe violations, and a session ended with the keyboard alone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, user) -> None:
    page.goto("/login?next=/account/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sessions_list_fits_and_has_no_axe_violations(page, user, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, user)
    sessions = page.locator("#sessions")
    assert sessions.get_by_text("this session").is_visible()
    # The page never scrolls sideways; a wide table scrolls within itself at most.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)


def test_a_session_is_ended_with_the_keyboard(browser, live_server, page, user):
    other = browser.new_context(base_url=live_server, locale="en-GB")
    try:
        log_in(other.new_page(), user)  # a second device
        log_in(page, user)
        buttons = page.get_by_role("button", name="Log out this one")
        assert buttons.count() == 2
        # The second row is the other device (this session is marked in the first or second).
        rows = page.locator("#sessions tbody tr")
        other_row = rows.filter(has_not_text="this session").first
        other_row.get_by_role("button", name="Log out this one").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/account/#sessions")
        assert page.get_by_role("button", name="Log out this one").count() == 1
        assert page.locator("#sessions").get_by_text("this session").is_visible()
    finally:
        other.close()
