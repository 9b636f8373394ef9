"""The admins' mail outbox in a browser: no axe violations, and "retry now" by its
accessible name delivers a failed message."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from app.core.mail import queue_mail
from app.models import MailStatus, OutgoingMail, Role
from tests.browser.test_threads import assert_no_violations, log_in

pytestmark = pytest.mark.browser


def test_the_outbox_passes_axe_and_retries_a_failed_message(page, create_user, db, smtp_server):
    admin = create_user(Role.ADMIN, name="Ada Admin")
    queue_mail("reader@example.org", "Delivered <at once>", "body")
    db.session.commit()
    smtp_server.stop()
    queue_mail("late@example.org", "Refused by the server", "body")
    db.session.commit()
    db.session.rollback()
    db.session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.recipient == "late@example.org")
        .values(status=MailStatus.FAILED, attempts=8)
    )
    db.session.commit()
    smtp_server.start()

    log_in(page, admin)
    page.get_by_role("link", name="Moderation").first.click()
    page.get_by_role("link", name="Mail outbox").click()
    expect(page.get_by_role("heading", name="Mail outbox")).to_be_visible()
    expect(page.get_by_role("cell", name="Delivered <at once>")).to_be_visible()
    assert_no_violations(page, "/admin/mail")

    page.get_by_role("button", name="Retry now: Refused by the server, to late@example.org").click()

    expect(page.get_by_text("was handed over again")).to_be_visible()
    assert [m["To"] for m in smtp_server.messages[1:]] == ["late@example.org"]
    expect(page.get_by_role("button", name="Retry now")).to_have_count(0)
    assert_no_violations(page, "/admin/mail after a retry")

    page.get_by_label("Status", exact=True).select_option("failed")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("0 messages match.")).to_be_visible()
    assert_no_violations(page, "/admin/mail?status=failed")
