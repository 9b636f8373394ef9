"""Reading one's notifications: marking them read, one or all."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Notification, User
from app.models.base import utcnow


def mark_read(user: User, notification: Notification) -> None:
    """Mark one of the account's notifications read (already read: unchanged)."""
    if notification.user_id == user.id and notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the account read; how many there were. (Through
    the rows, not one UPDATE statement: the request boundary commits what was flushed.)"""
    unread = list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
    )
    now = utcnow()
    for notification in unread:
        notification.read_at = now
    db.session.flush()
    return len(unread)
