"""Moderation rules: pre-moderation, flags, decisions and their one log row each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.annotations import queries as annotation_queries
from app.models import (
    AnnotationStatus,
    Flag,
    FlagReason,
    ModerationAction,
    ModerationLog,
    Role,
    TargetKind,
)
from app.models.base import utcnow
from app.models.moderation import AppendOnlyError
from app.moderation import services
from app.moderation.services import ModerationError, Target

A = TargetKind.ANNOTATION


def log_rows(db):
    return db.session.scalar(select(func.count(ModerationLog.id)))


@pytest.fixture
def moderator(create_user):
    return create_user(Role.MODERATOR, name="Mo Derator")


@pytest.fixture
def newcomer(create_user):
    return create_user(trusted=False, name="New Comer")


def visible_ids(version, viewer):
    return {t.root.id for t in annotation_queries.threads(version, viewer)}


def test_a_newcomer_posts_pending_until_approved_then_freely(
    create_annotation, newcomer, moderator, create_user, db
):
    first = create_annotation("My first word.", author=newcomer)
    assert first.status is AnnotationStatus.PENDING
    other = create_user()
    version = first.version_id
    from app.models import PaperVersion

    version = db.session.get(PaperVersion, version)
    assert first.id not in visible_ids(version, other)
    assert first.id not in visible_ids(version, None)
    assert first.id in visible_ids(version, newcomer)
    assert first.id in visible_ids(version, moderator)
    assert annotation_queries.section_counts(version, other) == {}

    row = services.decide(moderator, Target(A, first.id), ModerationAction.APPROVE, "Fine.")
    db.session.commit()
    assert (row.old_state, row.new_state) == ("pending", "published")
    assert (row.moderator_id, row.subject_id) == (moderator.id, newcomer.id)
    assert first.status is AnnotationStatus.PUBLISHED
    assert first.id in visible_ids(version, other)
    assert annotation_queries.section_counts(version, other) == {first.section_key: 1}

    second = create_annotation("Now I am known.", author=newcomer)
    assert second.status is AnnotationStatus.PUBLISHED


def test_threshold_is_configurable_and_staff_are_never_pre_moderated(
    app, create_annotation, create_user, moderator
):
    app.config["PREMODERATION_THRESHOLD"] = 0
    assert create_annotation(author=create_user(trusted=False)).status is AnnotationStatus.PUBLISHED
    app.config["PREMODERATION_THRESHOLD"] = 2
    editor = create_user(Role.EDITOR, trusted=False)
    assert create_annotation(author=editor).status is AnnotationStatus.PUBLISHED


def test_replies_of_a_newcomer_wait_too_and_others_cannot_answer_pending(
    create_annotation, newcomer, create_user
):
    from app.annotations.services import AnnotationError, reply

    root = create_annotation()
    answer = create_annotation("Agreed.", author=newcomer, parent=root)
    assert answer.status is AnnotationStatus.PENDING
    with pytest.raises(AnnotationError) as caught:
        reply(create_user(), answer, "Can others see this?")
    assert caught.value.status == 409


def test_three_flags_hide_until_a_moderator_restores_with_a_reason(
    create_annotation, create_user, moderator, db
):
    thread = create_annotation("Contested.")
    for n in range(2):
        services.flag(create_user(), A, thread, "off_topic", f"note {n}")
        db.session.commit()
        assert thread.status is AnnotationStatus.PUBLISHED
    services.flag(create_user(), A, thread, FlagReason.SPAM)
    db.session.commit()
    assert thread.status is AnnotationStatus.HIDDEN
    auto = db.session.scalars(select(ModerationLog)).one()
    assert auto.moderator_id is None and (auto.old_state, auto.new_state) == ("published", "hidden")

    row = services.decide(
        moderator, Target(A, thread.id), ModerationAction.RESTORE, "Within the guidelines."
    )
    db.session.commit()
    assert thread.status is AnnotationStatus.PUBLISHED
    assert (row.old_state, row.new_state, row.reason) == (
        "hidden",
        "published",
        "Within the guidelines.",
    )
    assert log_rows(db) == 2
    assert services.open_flag_count(A, thread.id) == 0  # the flags were settled


def test_flags_from_accounts_not_in_good_standing_do_not_count(create_annotation, create_user, db):
    thread = create_annotation()
    restricted = create_user()
    restricted.restricted_at = utcnow()
    suspended_then_reinstated = create_user()
    db.session.commit()
    services.flag(restricted, A, thread, "spam")
    services.flag(create_user(), A, thread, "spam")
    services.flag(suspended_then_reinstated, A, thread, "spam")
    db.session.commit()
    assert thread.status is AnnotationStatus.PUBLISHED  # two of three count
    assert services.open_flag_count(A, thread.id) == 3


@pytest.mark.parametrize(
    ("reason", "note", "code"),
    [("rude", "", "invalid"), ("spam", "x" * 1001, "too_long"), ("spam", 5, "invalid")],
)
def test_bad_flags_are_refused_and_store_nothing(create_annotation, user, db, reason, note, code):
    thread = create_annotation()
    with pytest.raises(ModerationError) as caught:
        services.flag(user, A, thread, reason, note)
    assert caught.value.code == code and caught.value.status == 422
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == 0


def test_one_flag_per_account_and_never_on_ones_own(create_annotation, create_user, user, db):
    author = create_user()
    thread = create_annotation(author=author)
    services.flag(user, A, thread, "abuse")
    db.session.commit()
    with pytest.raises(ModerationError) as caught:
        services.flag(user, A, thread, "spam")
    assert caught.value.status == 409
    with pytest.raises(ModerationError) as caught:
        services.flag(author, A, thread, "spam")
    assert caught.value.status == 403


def test_a_moderator_cannot_decide_on_their_own_contribution(create_annotation, moderator, db):
    own = create_annotation(author=moderator)
    with pytest.raises(ModerationError) as caught:
        services.decide(moderator, Target(A, own.id), ModerationAction.HIDE, "Mine.")
    assert caught.value.status == 403 and caught.value.code == "own_content"
    assert log_rows(db) == 0


def test_a_second_decision_on_the_same_item_is_a_conflict(
    create_annotation, newcomer, moderator, create_user, db
):
    pending = create_annotation(author=newcomer)
    other = create_user(Role.MODERATOR)
    services.decide(moderator, Target(A, pending.id), ModerationAction.APPROVE, "Yes.")
    db.session.commit()
    with pytest.raises(ModerationError) as caught:
        services.decide(other, Target(A, pending.id), ModerationAction.REJECT, "No.")
    assert caught.value.status == 409 and "published" in caught.value.message
    db.session.rollback()
    assert log_rows(db) == 1


def test_approving_a_flagged_item_keeps_it_and_settles_its_flags_once(
    create_annotation, create_user, moderator, db
):
    thread = create_annotation()
    services.flag(create_user(), A, thread, "other", "Is this right?")
    db.session.commit()
    row = services.decide(moderator, Target(A, thread.id), ModerationAction.APPROVE, "It is.")
    db.session.commit()
    assert (row.old_state, row.new_state) == ("published", "published")
    with pytest.raises(ModerationError) as caught:
        services.decide(moderator, Target(A, thread.id), ModerationAction.APPROVE, "Again.")
    assert caught.value.status == 409


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_a_decision_needs_a_reason(create_annotation, newcomer, moderator, db, reason):
    pending = create_annotation(author=newcomer)
    with pytest.raises(ModerationError) as caught:
        services.decide(moderator, Target(A, pending.id), ModerationAction.APPROVE, reason)
    assert caught.value.field == "reason"
    assert pending.status is AnnotationStatus.PENDING and log_rows(db) == 0


def test_bulk_approval_writes_one_row_per_item_and_reports_the_rest(
    create_annotation, newcomer, moderator, db, app
):
    app.config["PREMODERATION_THRESHOLD"] = 5
    items = [create_annotation(f"Item {n}", author=newcomer) for n in range(3)]
    published = create_annotation("Already out.")
    targets = [Target(A, a.id) for a in [*items, published]]
    done, failed = services.decide_many(moderator, targets, ModerationAction.APPROVE, "Batch.")
    db.session.commit()
    assert len(done) == 3 and [t.id for t, _e in failed] == [published.id]
    assert log_rows(db) == 3
    assert all(a.status is AnnotationStatus.PUBLISHED for a in items)


def test_suspension_ends_sessions_and_lapses_at_its_end(create_user, moderator, db):
    member = create_user()
    before = member.get_id()
    until = utcnow() + timedelta(days=7)
    row = services.decide(
        moderator, Target(TargetKind.USER, member.id), ModerationAction.SUSPEND, "Spam.",
        until=until,
    )  # fmt: skip
    db.session.commit()
    assert (row.old_state, row.new_state) == ("active", "suspended")
    assert not member.is_active and member.get_id() != before
    member.suspended_until = utcnow() - timedelta(seconds=1)
    assert member.is_active  # a suspension with an end lapses by itself
    with pytest.raises(ModerationError):
        services.decide(
            moderator, Target(TargetKind.USER, member.id), ModerationAction.SUSPEND, "x",
            until=utcnow() - timedelta(days=1),
        )  # fmt: skip


def test_restricted_accounts_are_seen_by_themselves_and_moderators_only(
    create_annotation, create_user, moderator, db
):
    member = create_user()
    thread = create_annotation(author=member)
    services.decide(
        moderator, Target(TargetKind.USER, member.id), ModerationAction.RESTRICT, "Trolling."
    )
    db.session.commit()
    from app.models import PaperVersion

    version = db.session.get(PaperVersion, thread.version_id)
    assert thread.id not in visible_ids(version, create_user())
    assert thread.id in visible_ids(version, member)
    assert thread.id in visible_ids(version, moderator)
    services.decide(
        moderator, Target(TargetKind.USER, member.id), ModerationAction.UNRESTRICT, "Better."
    )
    db.session.commit()
    assert thread.id in visible_ids(version, create_user())


def test_moderators_cannot_sanction_themselves_or_their_peers(create_user, moderator, db):
    peer = create_user(Role.MODERATOR)
    for target in (moderator, peer):
        with pytest.raises(ModerationError) as caught:
            services.decide(
                moderator, Target(TargetKind.USER, target.id), ModerationAction.SUSPEND, "No."
            )
        assert caught.value.status == 403
    admin = create_user(Role.ADMIN)
    services.decide(admin, Target(TargetKind.USER, peer.id), ModerationAction.SUSPEND, "Yes.")


def test_the_log_is_append_only(create_annotation, newcomer, moderator, db):
    pending = create_annotation(author=newcomer)
    row = services.decide(moderator, Target(A, pending.id), ModerationAction.REJECT, "Spam.")
    db.session.commit()
    row.reason = "Something else"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ModerationLog, row.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE moderation_log SET reason = 'forged'"))
    db.session.rollback()
    assert db.session.get(ModerationLog, row.id).reason == "Spam."


def test_a_decision_made_on_a_stale_view_loses_to_the_one_already_made(
    create_annotation, newcomer, moderator, db
):
    """The state a moderator saw is checked when it changes (compare-and-set): here the
    session still holds "pending" while another decision has published the item."""
    from sqlalchemy import update

    from app.models import Annotation

    pending = create_annotation(author=newcomer)
    db.session.execute(
        update(Annotation)
        .where(Annotation.id == pending.id)
        .values(status=AnnotationStatus.PUBLISHED)
        .execution_options(synchronize_session=False)
    )
    assert pending.status is AnnotationStatus.PENDING  # what this moderator still sees
    with pytest.raises(ModerationError) as caught:
        services.decide(moderator, Target(A, pending.id), ModerationAction.REJECT, "Spam.")
    assert caught.value.status == 409 and caught.value.code == "conflict"
    assert log_rows(db) == 0


def test_a_reason_cannot_forge_lines_in_the_application_log(
    create_annotation, newcomer, moderator, db, caplog
):
    pending = create_annotation(author=newcomer)
    forged = "Fine.\nINFO moderation: user:1 approve annotation:999 pending→published"
    with caplog.at_level("INFO", logger="app.moderation.services"):
        services.decide(moderator, Target(A, pending.id), ModerationAction.APPROVE, forged)
    lines = [line for r in caplog.records for line in r.getMessage().splitlines()]
    assert len(lines) == 1 and "\\n" in lines[0]
