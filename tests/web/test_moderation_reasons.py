"""A decision's reason in the queue: a common reason from a list, one's own words, or both;
and keeping a flagged published item published is logged under that name."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.models import ModerationLog, Role, TargetKind
from app.models.annotation import AnnotationStatus
from app.moderation import services
from tests.conftest import login


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def log_rows(db) -> list[ModerationLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(ModerationLog).order_by(ModerationLog.id)))


@pytest.fixture
def mod(app, create_user):
    browser = app.test_client()
    login(browser, create_user(Role.MODERATOR, name="Mona Moderator"))
    return browser


@pytest.fixture
def pending(create_annotation, create_user):
    return create_annotation("Buy cheap watches.", author=create_user(trusted=False))


@pytest.fixture
def flagged(create_annotation, create_user, db):
    item = create_annotation("Bureaucracy is a virtue.")
    services.flag(create_user(), TargetKind.ANNOTATION, item, "off_topic", "")
    db.session.commit()
    return item


NO_REASON = "Choose a common reason or give one in your own words."


def decide(browser, target, action, **fields):
    data = {"target": f"annotation:{target.id}", "action": action, "next": "/moderation/"}
    return browser.post("/moderation/decide", data=data | fields)


def test_the_queue_offers_common_reasons_beside_the_free_text(mod, pending):
    article = soup_of(mod.get("/moderation/")).select_one("article.mod-item")
    select_ = article.select_one("form.mod-decision select[name=preset]")
    options = [(o["value"], o.get_text(strip=True)) for o in select_.select("option")]
    assert options == [
        ("", "None: in my own words"),
        ("terms", "Within the terms of participation"),
        ("spam", "Spam or advertising"),
        ("abuse", "Abuse or harassment"),
        ("off_topic", "Off topic"),
        ("personal_data", "Personal data"),
        ("duplicate", "Duplicate"),
    ]
    # The choice, the words and the buttons are one group, in that order for the keyboard.
    form = article.select_one("form.mod-decision")
    order = [e.name for e in form.select("select, textarea, button")]
    assert order == ["select", "textarea", "button", "button"]
    hint = form.find(id=select_["aria-describedby"])
    assert "one of them is required" in hint.get_text()


@pytest.mark.parametrize(
    ("fields", "logged"),
    [
        ({"preset": "spam", "reason": ""}, "Spam or advertising"),
        (
            {"preset": "spam", "reason": "  Third link farm this week.\r\n"},
            "Spam or advertising: Third link farm this week.",
        ),
        ({"preset": "", "reason": "Sells watches."}, "Sells watches."),
        ({"reason": "Sells watches."}, "Sells watches."),
    ],
)
def test_the_log_keeps_the_common_reason_and_the_own_words(mod, pending, db, fields, logged):
    response = decide(mod, pending, "reject", **fields)
    assert response.status_code == 303
    assert "after=1" in response.headers["Location"]
    [row] = log_rows(db)
    assert (row.action.value, row.reason) == ("reject", logged)
    log = soup_of(mod.get("/moderation/log"))
    assert [td.get_text() for td in log.select("td.mod-reason")] == [logged]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, NO_REASON),
        ({"preset": "", "reason": "  \n "}, NO_REASON),
        ({"preset": "rude", "reason": "Words."}, "Not a valid choice"),
        ({"preset": "spam", "reason": "x" * 2001}, "2000"),
    ],
)
def test_a_decision_without_a_reason_is_refused(mod, pending, db, fields, message):
    response = decide(mod, pending, "reject", **fields)
    assert response.status_code == 303
    assert f"focus=annotation%3A{pending.id}" in response.headers["Location"]
    page = mod.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    assert log_rows(db) == []
    assert pending.status is AnnotationStatus.PENDING


def test_a_common_reason_and_words_too_long_together_are_refused(mod, pending, db):
    response = decide(mod, pending, "reject", preset="spam", reason="x" * 2000)
    assert response.status_code == 303
    assert "At most 2,000 characters." in mod.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert log_rows(db) == []


def test_keeping_a_flagged_item_published_is_logged_as_such(mod, flagged, db):
    article = soup_of(mod.get("/moderation/")).select_one("article.mod-item")
    keep = article.find("button", string="Keep published")
    assert keep["value"] == "keep_published"
    response = decide(mod, flagged, keep["value"], preset="terms", reason="A view, not abuse.")
    assert response.status_code == 303
    after = mod.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kept published: annotation by" in after
    [row] = log_rows(db)
    assert (row.action.value, row.old_state, row.new_state) == (
        "keep_published",
        "published",
        "published",
    )
    assert row.reason == "Within the terms of participation: A view, not abuse."
    assert flagged.status is AnnotationStatus.PUBLISHED

    log = soup_of(mod.get("/moderation/log"))
    [row_cells] = log.select("tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row_cells.select("td")]
    assert cells[3] == "Kept published"
    assert cells[4] == "published → to published"  # the arrow is seen, "to" is heard
    assert cells[5] == "Within the terms of participation: A view, not abuse."
    options = [o.get_text(strip=True) for o in log.select("select[name=action] option")]
    assert "Kept published" in options
    only = soup_of(mod.get("/moderation/log?action=keep_published"))
    assert len(only.select("tbody tr")) == 1
    assert soup_of(mod.get("/moderation/log?action=approve")).select("tbody tr") == []


def test_keep_published_needs_open_flags(mod, create_annotation, pending, db):
    unflagged = create_annotation("Nobody minds this.")
    for item in (unflagged, pending):  # nothing to settle; not yet published
        response = decide(mod, item, "keep_published", reason="Fine.")
        assert response.status_code == 303
        page = mod.get(response.headers["Location"]).get_data(as_text=True)
        assert "cannot be given “keep published”" in page
    assert log_rows(db) == []


def test_approving_a_flagged_published_item_through_the_service_is_logged_as_kept(
    flagged, create_user, db
):
    """ "approve" of a published item, as API clients send it, keeps it and says so."""
    moderator = create_user(Role.MODERATOR)
    row = services.decide(
        moderator,
        services.Target(TargetKind.ANNOTATION, flagged.id),
        services.ModerationAction.APPROVE,
        "Fine.",
    )
    assert (row.action.value, row.old_state, row.new_state) == (
        "keep_published",
        "published",
        "published",
    )
