"""Who wants to hear of what, and how: delivery per kind, follows, unsubscribe links.

Defaults: replies, editors' answers and moderators' decisions are mailed at once — each
answers something the person did, there are few of them, and they are worth acting on
soon (answer back, fix a rejected contribution). New versions and news of what one
follows come in the daily digest: a paper with many commenters, or a busy section one
follows, would otherwise fill an inbox, and none of it needs an answer the same hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import ServiceError
from app.core.i18n import gettext as _
from app.extensions import db
from app.models import (
    Delivery,
    Follow,
    FollowTarget,
    NotificationKind,
    NotificationSetting,
    User,
)
from app.models.base import utcnow

DEFAULTS: dict[NotificationKind, Delivery] = {
    NotificationKind.REPLY: Delivery.IMMEDIATE,
    NotificationKind.ANSWER: Delivery.IMMEDIATE,
    NotificationKind.MODERATION: Delivery.IMMEDIATE,
    NotificationKind.NEW_VERSION: Delivery.DIGEST,
    NotificationKind.FOLLOWED: Delivery.DIGEST,
}

# Its own salt: an unsubscribe token opens nothing else the secret key signs.
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
ALL = "all"
# A link in an old e-mail keeps working for a year; a newer e-mail carries a new one.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600


class NotificationError(ServiceError):
    """A follow or a setting was refused; nothing was stored."""


# --- delivery per kind --------------------------------------------------------------------


def deliveries(user_ids: Iterable[int]) -> dict[tuple[int, NotificationKind], Delivery]:
    """The stored choices of these accounts, by (account, kind); one query."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            NotificationSetting.user_id, NotificationSetting.kind, NotificationSetting.delivery
        ).where(NotificationSetting.user_id.in_(ids))
    )
    return {(user_id, kind): delivery for user_id, kind, delivery in rows}


def settings_of(user: User) -> dict[NotificationKind, Delivery]:
    """Every kind's delivery for an account, defaults filled in."""
    stored = deliveries([user.id])
    return {kind: stored.get((user.id, kind), DEFAULTS[kind]) for kind in NotificationKind}


def set_delivery(user: User, kind: NotificationKind, delivery: Delivery) -> None:
    """Choose how one kind is delivered (a row is written even for the default, so that a
    later change of defaults does not change what the person chose)."""
    kind, delivery = NotificationKind(kind), Delivery(delivery)
    row = db.session.scalar(
        select(NotificationSetting).where(
            NotificationSetting.user_id == user.id, NotificationSetting.kind == kind
        )
    )
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    NotificationSetting(
                        user_id=user.id, kind=kind, delivery=delivery, updated_at=utcnow()
                    )
                )
            return
        except IntegrityError:  # the same choice from another tab, a moment ago
            row = db.session.scalar(
                select(NotificationSetting).where(
                    NotificationSetting.user_id == user.id, NotificationSetting.kind == kind
                )
            )
    if row.delivery is not delivery:
        row.delivery, row.updated_at = delivery, utcnow()
        db.session.flush()


def save_settings(user: User, chosen: dict[NotificationKind, Delivery]) -> None:
    """Store the choices of the settings form."""
    for kind, delivery in chosen.items():
        set_delivery(user, kind, delivery)


# --- unsubscribing by link ------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, kind: NotificationKind | None) -> str:
    """A signed token naming an account and one kind (None: every kind)."""
    return _serializer().dumps({"u": user.id, "k": kind.value if kind else ALL})


@dataclass(frozen=True)
class Unsubscription:
    user: User
    kind: NotificationKind | None  # None: every kind


def read_unsubscribe_token(token: str) -> Unsubscription:
    """What a token names; a `NotificationError` (400) when it is tampered with, expired,
    or names an account that is gone."""
    max_age = current_app.config.get("UNSUBSCRIBE_MAX_AGE", UNSUBSCRIBE_MAX_AGE)
    refusal = NotificationError(
        _("This unsubscribe link is not valid (it may be incomplete or too old). Change your "
          "e-mail settings on your account page instead."),
        code="bad_token",
        status=400,
    )  # fmt: skip
    try:
        data = _serializer().loads(token, max_age=max_age)
        user_id, kind = int(data["u"]), data["k"]
        kind = None if kind == ALL else NotificationKind(kind)
    except (BadSignature, KeyError, TypeError, ValueError):
        raise refusal from None
    user = db.session.get(User, user_id)
    if user is None or user.anonymised_at is not None:
        raise refusal
    return Unsubscription(user, kind)


def unsubscribe(found: Unsubscription) -> None:
    """Turn the e-mail of that kind (or of every kind) off."""
    for kind in [found.kind] if found.kind else list(NotificationKind):
        set_delivery(found.user, kind, Delivery.OFF)


# --- follows --------------------------------------------------------------------------------


def follow_key(target: FollowTarget, *, paper_id=None, section_key=None, term_id=None) -> str:
    """The one string that names a follow's target: `paper:3`, `section:3:intro`, `term:5`."""
    if target is FollowTarget.PAPER:
        return f"paper:{paper_id}"
    if target is FollowTarget.SECTION:
        return f"section:{paper_id}:{section_key}"
    return f"term:{term_id}"


def find_follow(user: User, key: str) -> Follow | None:
    return db.session.scalar(select(Follow).where(Follow.user_id == user.id,
                                                  Follow.target_key == key))  # fmt: skip


def follow(
    user: User,
    target: FollowTarget,
    *,
    paper_id: int | None = None,
    section_key: str | None = None,
    term_id: int | None = None,
) -> Follow:
    """Follow a paper, a section (by key, across versions) or a term; following twice is
    following once."""
    if not getattr(user, "is_authenticated", False):
        raise NotificationError(_("Log in to follow."), code="forbidden", status=403)
    key = follow_key(target, paper_id=paper_id, section_key=section_key, term_id=term_id)
    existing = find_follow(user, key)
    if existing is not None:
        return existing
    row = Follow(
        user_id=user.id,
        target_type=target,
        target_key=key,
        paper_id=paper_id,
        section_key=section_key if target is FollowTarget.SECTION else None,
        term_id=term_id,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # followed from another tab a moment ago
        return find_follow(user, key)
    return row


def unfollow(user: User, key: str) -> bool:
    """Stop following; True when there was something to stop."""
    row = find_follow(user, key)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def unfollow_by_id(user: User, follow_id: int) -> bool:
    """Stop following, from the list on the settings page (another's follow is not found)."""
    row = db.session.get(Follow, follow_id)
    if row is None or row.user_id != user.id:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
