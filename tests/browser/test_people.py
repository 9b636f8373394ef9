"""The admins' people page in a browser: no axe violations on the list, the account's
page and its errors, and a role changed by keyboard-reachable, labelled controls."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Role, User
from tests.browser.test_threads import assert_no_violations, log_in

pytestmark = pytest.mark.browser


def test_the_people_pages_pass_axe_and_change_a_role(page, create_user, db):
    admin = create_user(Role.ADMIN, name="Ada Admin")
    create_user(Role.EDITOR, name="Edith Editor", email="edith@example.org")
    grace = create_user(name="Grace Hopper", email="grace@example.org")

    log_in(page, admin)
    page.get_by_role("link", name="Moderation").first.click()
    page.get_by_role("link", name="People and roles").click()
    expect(page.get_by_role("heading", name="People and roles")).to_be_visible()
    expect(page.get_by_role("cell", name="grace@example.org")).to_be_visible()
    assert_no_violations(page, "/admin/people")

    page.get_by_label("Role", exact=True).select_option("participant")
    page.get_by_label("Name or e-mail address").fill("hopper")
    page.get_by_label("Name or e-mail address").press("Enter")
    expect(page.get_by_text("1 account matches.")).to_be_visible()
    assert_no_violations(page, "/admin/people?q=hopper&role=participant")

    page.get_by_role("link", name="Grace Hopper: change the role").click()
    expect(page.get_by_role("heading", name="Role of Grace Hopper")).to_be_visible()
    assert_no_violations(page, "an account's role page")

    # The same role: refused on its field, which says why.
    page.get_by_label("Reason for the change").fill("Edits the series.")
    page.get_by_role("button", name="Change the role").click()
    expect(page.get_by_text("Grace Hopper has this role already: Participant.")).to_be_visible()
    assert_no_violations(page, "an account's role page with an error")

    page.get_by_label("New role").select_option("editor")
    page.get_by_label("Reason for the change").fill("Edits the series.")
    page.get_by_label("Reason for the change").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change the role")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Grace Hopper's role is now: Series editor.")).to_be_visible()
    expect(page.get_by_role("cell", name="Edits the series.")).to_be_visible()
    assert_no_violations(page, "an account's role page after a change")
    db.session.rollback()
    assert db.session.scalar(select(User.role).where(User.id == grace.id)) is Role.EDITOR

    # One's own page asks for confirmation.
    page.goto(f"/admin/people/{admin.id}")
    expect(page.get_by_label("I am changing my own role", exact=False)).to_be_visible()
    assert_no_violations(page, "one's own role page")
