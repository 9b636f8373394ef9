"""Reading one's notifications: marking them read, one or all."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from app.models import Notification, User
from app.models.base import utcnow


def mark_read(user: User, notification: Notification) -> None:
    """Mark one of the account's notifications read (already read: unchanged)."""
    if notification.user_id == user.id and notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the account read, in one statement; how many
    there were."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount
