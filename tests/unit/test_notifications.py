"""The notification services, without HTTP: who is told, the settings and their defaults,
follows, unsubscribe tokens, what a notification shows to whom, and the digest."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts import tokens
from app.annotations import services as annotations
from app.definitions import services as definitions
from app.models import (
    Delivery,
    Follow,
    FollowTarget,
    ModerationAction,
    Notification,
    NotificationKind,
    Role,
    TargetKind,
)
from app.models.base import utcnow
from app.moderation import services as moderation
from app.notifications import digests, queries, services, settings
from app.notifications.settings import NotificationError


@pytest.fixture
def request_ctx(app):
    with app.test_request_context():
        yield


def told(db, user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_defaults_say_at_once_for_answers_to_oneself_and_daily_for_the_rest(db, user):
    assert settings.settings_of(user) == {
        NotificationKind.REPLY: Delivery.IMMEDIATE,
        NotificationKind.ANSWER: Delivery.IMMEDIATE,
        NotificationKind.MODERATION: Delivery.IMMEDIATE,
        NotificationKind.NEW_VERSION: Delivery.DIGEST,
        NotificationKind.FOLLOWED: Delivery.DIGEST,
    }
    settings.set_delivery(user, NotificationKind.REPLY, Delivery.OFF)
    settings.set_delivery(user, NotificationKind.REPLY, Delivery.DIGEST)  # changed, not added
    assert settings.settings_of(user)[NotificationKind.REPLY] is Delivery.DIGEST
    assert len(settings.deliveries([user.id])) == 1


def test_an_unsubscribe_token_names_one_account_and_one_kind_or_all(db, user, request_ctx):
    found = settings.read_unsubscribe_token(
        settings.unsubscribe_token(user, NotificationKind.ANSWER)
    )
    assert (found.user.id, found.kind) == (user.id, NotificationKind.ANSWER)
    assert settings.read_unsubscribe_token(settings.unsubscribe_token(user, None)).kind is None


def test_other_signed_tokens_do_not_unsubscribe(db, user, request_ctx):
    """Its own salt: a confirmation link of the same secret key is not an unsubscribe link."""
    with pytest.raises(NotificationError) as refused:
        settings.read_unsubscribe_token(tokens.confirmation_token(user))
    assert refused.value.status == 400


def test_a_deleted_accounts_token_is_refused(db, user, request_ctx):
    token = settings.unsubscribe_token(user, None)
    user.anonymised_at = utcnow()
    db.session.flush()
    with pytest.raises(NotificationError):
        settings.read_unsubscribe_token(token)


def test_following_twice_is_following_once_and_unfollowing_is_idempotent(db, user, paper):
    first = settings.follow(user, FollowTarget.SECTION, paper_id=paper.id, section_key="intro")
    again = settings.follow(user, FollowTarget.SECTION, paper_id=paper.id, section_key="intro")
    assert first.id == again.id and first.target_key == f"section:{paper.id}:intro"
    assert settings.unfollow(user, first.target_key) is True
    assert settings.unfollow(user, first.target_key) is False
    assert db.session.scalar(select(func.count(Follow.id))) == 0


def test_nobody_hears_of_a_restricted_accounts_reply(db, create_user, create_annotation):
    author, troll, moderator = create_user(), create_user(), create_user(Role.MODERATOR)
    thread = create_annotation(author=author)
    moderation.decide(moderator, moderation.Target(TargetKind.USER, troll.id),
                      ModerationAction.RESTRICT, "Trolls.")  # fmt: skip
    create_annotation("Only I and the moderators see this.", author=troll, parent=thread)
    assert told(db, author) == []


def test_keeping_a_flagged_item_published_tells_its_author_nothing(
    db, create_user, create_annotation
):
    author, moderator = create_user(), create_user(Role.MODERATOR)
    thread = create_annotation(author=author)
    moderation.flag(create_user(), TargetKind.ANNOTATION, thread, "spam")
    moderation.decide(moderator, moderation.Target(TargetKind.ANNOTATION, thread.id),
                      ModerationAction.KEEP_PUBLISHED, "It is fine.")  # fmt: skip
    assert told(db, author) == []


def test_a_proposal_on_a_term_awaiting_review_tells_no_follower(db, create_user):
    newcomer, follower, moderator = (
        create_user(trusted=False), create_user(), create_user(Role.MODERATOR)
    )  # fmt: skip
    term, _ = definitions.create_term(newcomer, "Citizen-centric")
    settings.follow(follower, FollowTarget.TERM, term_id=term.id)
    definitions.propose(newcomer, term, "Centred on citizens.")
    assert told(db, follower) == []
    # Approving the term and then the proposal lets it out: then the follower hears.
    moderation.decide(moderator, moderation.Target(TargetKind.TERM, term.id),
                      ModerationAction.APPROVE, "A real term.")  # fmt: skip
    proposal = definitions.propose(create_user(), term, "About citizens.")
    assert [n.target_id for n in told(db, follower)] == [proposal.id]


def test_deleted_accounts_are_not_told(db, create_user, create_annotation):
    author, replier = create_user(), create_user()
    thread = create_annotation(author=author)
    author.anonymised_at = utcnow()
    db.session.flush()
    annotations.reply(replier, thread, "Anyone there?")
    assert told(db, author) == []


def test_what_a_notification_shows_depends_on_what_the_reader_may_see_now(
    db, create_user, create_annotation, request_ctx
):
    author, replier, moderator = (
        create_user(),
        create_user(name="Replier"),
        create_user(Role.MODERATOR),
    )
    thread = create_annotation(author=author)
    reply = create_annotation("Soon hidden.", author=replier, parent=thread)
    [notification] = told(db, author)
    item = queries.describe(notification, queries.load([notification]), author)
    assert item.available and item.excerpt == "Soon hidden."
    assert item.path() == f"/annotations/{thread.id}#a{reply.id}"

    moderation.decide(moderator, moderation.Target(TargetKind.ANNOTATION, reply.id),
                      ModerationAction.HIDE, "Abuse.")  # fmt: skip
    for reader in (author, moderator):
        item = queries.describe(notification, queries.load([notification]), reader)
        assert not item.available and item.excerpt == "" and "Replier" not in item.headline
    # Its author still reads what was decided about it.
    [decision] = told(db, replier)
    assert queries.describe(decision, queries.load([decision]), replier).available


def test_load_costs_the_same_queries_for_one_or_many(
    db, create_user, create_annotation, count_queries
):
    author = create_user()
    thread = create_annotation(author=author)
    create_annotation(author=create_user(), parent=thread)
    for _ in range(5):
        create_annotation(author=create_user(), parent=thread)
    db.session.expire_all()
    one = told(db, author)[:1]
    with count_queries() as few:
        queries.load(one)
    db.session.expire_all()
    many = told(db, author)
    with count_queries() as more:
        queries.load(many)
    assert few.count == more.count <= 3  # annotations, their section titles, the actors


def test_mark_read_and_all(db, create_user, create_annotation):
    author = create_user()
    thread = create_annotation(author=author)
    for _ in range(3):
        create_annotation(author=create_user(), parent=thread)
    first, *_ = told(db, author)
    services.mark_read(author, first)
    assert queries.unread_count(author) == 2
    assert services.mark_all_read(author) == 2
    assert queries.unread_count(author) == 0


def test_digests_go_once_and_skip_what_was_turned_off(
    db, app, create_user, create_annotation, paper
):
    reader, quiet, writer = create_user(), create_user(), create_user()
    for user in (reader, quiet):
        settings.follow(user, FollowTarget.PAPER, paper_id=paper.id)
    db.session.commit()
    create_annotation("One.", author=writer)
    create_annotation("Two.", author=writer)
    settings.set_delivery(quiet, NotificationKind.FOLLOWED, Delivery.OFF)
    db.session.commit()

    first = digests.send_digests()
    assert (first.digests, first.items, first.dropped) == (1, 2, 2)
    second = digests.send_digests()
    assert (second.digests, second.items, second.dropped) == (0, 0, 0)
    assert all(n.mailed_at is not None for n in told(db, reader))
    assert all(n.mailed_at is None and not n.digest_due for n in told(db, quiet))
