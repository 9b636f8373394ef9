"""Notifications in the browser: the bell names the unread count, the list and the account
page's notification settings have no WCAG 2.1 A/AA violations (axe-core), and a reader
opens an item, marks the rest read, and follows a section with the keyboard's buttons."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.models import FollowTarget
from app.notifications import settings
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, user, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


@pytest.fixture
def told(db, paper, create_user, create_annotation):
    """A participant with three notifications: two replies in their thread and one new
    thread in a section they follow."""
    reader = create_user(name="Reader")
    thread = create_annotation("My point about the section.", author=reader)
    create_annotation("A reply, first.", author=create_user(name="Ana"), parent=thread)
    create_annotation("A reply, second.", author=create_user(name="Bo"), parent=thread)
    settings.follow(reader, FollowTarget.SECTION, paper_id=paper.id,
                    section_key="public-sector-idiosyncrasies")  # fmt: skip
    db.session.commit()
    create_annotation("A new thread.", author=create_user(name="Cy"))
    db.session.commit()  # release SQLite (see conftest.py)
    return reader, thread


def _axe(page, path: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe on {path}:\n" + describe(violations)


def test_no_wcag_violations_on_the_list_with_items_and_on_the_settings(page, told):
    reader, _thread = told
    log_in(page, reader, "/notifications")
    expect(page.get_by_role("link", name="Notifications, 3 unread")).to_be_visible()
    expect(page.locator(".notification")).to_have_count(3)
    _axe(page, "/notifications")

    page.goto("/account/#notifications")
    expect(page.get_by_label("Replies in threads you take part in")).to_have_value("immediate")
    _axe(page, "/account/")


def test_opening_an_item_marks_it_read_and_mark_all_clears_the_bell(page, told):
    reader, thread = told
    log_in(page, reader, "/notifications")
    page.get_by_role("link", name="Bo replied in a thread you take part in.").click()
    page.wait_for_url(f"**/annotations/{thread.id}#a*")
    expect(page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    page.goto("/notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    expect(page.locator(".notification--unread")).to_have_count(0)


def test_choosing_a_setting_and_following_a_section(page, told):
    reader, _thread = told
    log_in(page, reader, "/account/")
    page.get_by_label("New versions of papers you commented on").select_option("off")
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings have been saved.")).to_be_visible()
    expect(page.get_by_label("New versions of papers you commented on")).to_have_value("off")

    page.goto("/papers/think-paper-1/")
    button = page.get_by_role("button", name="Follow this paper: new threads, replies and versions")
    button.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("button", name="Unfollow this paper: new threads, replies and versions")
    ).to_be_visible()
    page.goto("/account/#notifications")
    expect(page.locator(".follow-list li")).to_have_count(2)
