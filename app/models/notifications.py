"""Notifications: what happened that concerns an account, how it wants to hear of it, and
what it follows.

A notification stores ids only (what kind of thing, which row), never a copy of the words:
the list resolves them when it is shown, through the same visibility rules as the pages,
so a contribution hidden or deleted after the fact is not shown again through it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class NotificationKind(enum.StrEnum):
    REPLY = "reply"  # a reply in a thread one takes part in
    ANSWER = "answer"  # an editor's answer (disposition) to one's thread
    MODERATION = "moderation"  # a moderator's decision on one's content
    NEW_VERSION = "new_version"  # a new version of a paper one commented on
    FOLLOWED = "followed"  # a new contribution on a paper, section or term one follows


class Delivery(enum.StrEnum):
    """How an account hears of one kind of notification by e-mail."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"  # once a day, with the others (`flask notifications send-digests`)
    OFF = "off"  # no e-mail; the notification is still listed on /notifications


class NotificationTarget(enum.StrEnum):
    """What a notification points at."""

    ANNOTATION = "annotation"
    PROPOSAL = "proposal"
    COMMENT = "comment"  # on a definition proposal
    TERM = "term"
    VERSION = "version"


class Notification(Base):
    """One thing that concerns one account; read when opened or marked read.

    `digest_due` is set while a digest should still carry it; `mailed_at` when an e-mail
    (at once, or in a digest) carried it.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_digest_due_user_id", "digest_due", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target_type: Mapped[NotificationTarget] = mapped_column(
        enum_column(NotificationTarget, "notification_target")
    )
    target_id: Mapped[int] = mapped_column(Integer)
    # For moderation: the decision (approve, hide, …), as the log names it.
    action: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    digest_due: Mapped[bool] = mapped_column(Boolean, default=False)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationSetting(Base):
    """An account's choice for one kind; without a row, the kind's default holds."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery, "notification_delivery"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowTarget(enum.StrEnum):
    PAPER = "paper"
    SECTION = "section"  # by key, across the paper's versions
    TERM = "term"


class Follow(Base):
    """An account follows a paper, a section of it (by key) or a glossary term.

    `target_key` ("paper:3", "section:3:intro", "term:5") makes one follow per account and
    target unique on every database (a unique constraint over nullable columns is not).
    """

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target_key"),
        Index("ix_follows_paper_id_section_key", "paper_id", "section_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[FollowTarget] = mapped_column(enum_column(FollowTarget, "follow_target"))
    target_key: Mapped[str] = mapped_column(String(160))
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    section_key: Mapped[str | None] = mapped_column(String(100))
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("terms.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
