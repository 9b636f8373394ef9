"""Moderation in a browser: a queue of five worked through with the keyboard alone, and
axe on the queue, the log and an account page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import AnnotationStatus, ModerationLog, Role, TargetKind
from app.moderation import services
from tests.browser.test_threads import assert_no_violations, log_in

pytestmark = pytest.mark.browser

MAX_TABS = 120


def focused(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? {tag: e.tagName.toLowerCase(),"
        " name: e.getAttribute('name'), text: (e.textContent || '').trim(),"
        " item: e.closest('article') ? e.closest('article').id : null} : {}; }"
    )


def tab_to_reason(page) -> dict:
    """Press Tab until a decision's reason field has the focus (the way a keyboard user
    reaches the first item)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if now.get("tag") == "textarea" and now.get("name") == "reason" and now.get("item"):
            return now
    raise AssertionError("Tab never reached a reason field")


@pytest.fixture
def queue_of_five(create_annotation, create_user, db):
    newcomers = [create_user(trusted=False, name=f"Newcomer {n}") for n in range(5)]
    items = [
        create_annotation(f"Contribution number {n}.", author=author)
        for n, author in enumerate(newcomers)
    ]
    assert all(a.status is AnnotationStatus.PENDING for a in items)
    return items


def test_a_moderator_works_through_five_items_with_the_keyboard_alone(
    page, queue_of_five, create_user, db
):
    moderator = create_user(Role.MODERATOR, name="Maud Moderator")
    db.session.commit()
    log_in(page, moderator)
    page.goto("/moderation/")
    assert page.locator("article.mod-item").count() == 5

    current = tab_to_reason(page)
    for n in range(5):
        assert current.get("tag") == "textarea" and current.get("name") == "reason", current
        page.keyboard.type(f"Meets the guidelines ({n}).")
        page.keyboard.press("Tab")
        button = focused(page)
        assert button["tag"] == "button" and button["text"].startswith("Approve"), button
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if n < 4:
            # The next item's reason takes the focus once the page has loaded (autofocus).
            page.wait_for_function(
                "() => document.activeElement && document.activeElement.name === 'reason'"
            )
        current = focused(page)  # the next item's reason, ready for typing
    assert page.locator("article.mod-item").count() == 0
    assert "Nothing waits for a decision." in page.content()

    db.session.rollback()
    rows = db.session.scalars(select(ModerationLog).order_by(ModerationLog.id)).all()
    assert [r.reason for r in rows] == [f"Meets the guidelines ({n})." for n in range(5)]
    assert {r.target_id for r in rows} == {a.id for a in queue_of_five}
    assert all(r.moderator_id == moderator.id and r.action.value == "approve" for r in rows)


def test_no_wcag_violations_on_the_queue_log_and_account_pages(
    page, queue_of_five, create_annotation, create_user, db
):
    moderator = create_user(Role.MODERATOR, name="Maud Moderator")
    flagged = create_annotation("Something others dislike.")
    for reason in ("spam", "off_topic"):
        services.flag(create_user(), TargetKind.ANNOTATION, flagged, reason, "Look <here>.")
    services.decide(
        moderator,
        services.Target(TargetKind.ANNOTATION, queue_of_five[0].id),
        services.ModerationAction.REJECT,
        "Advertising.\nSecond line <b>not bold</b>.",
    )
    db.session.commit()
    assert db.session.scalar(select(func.count(ModerationLog.id))) == 1
    log_in(page, moderator)
    for path in (
        "/moderation/",
        "/moderation/?state=flagged",
        "/moderation/log",
        "/moderation/users",
        f"/moderation/users/{queue_of_five[0].author_id}",
    ):
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert_no_violations(page, path)
    assert page.locator("b", has_text="not bold").count() == 0
