"""Moderation: flags raised by participants and the append-only log of decisions.

Both point at their target by kind and id, so that annotations, definition
proposals, terms and accounts are moderated through one mechanism.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.user import User


class TargetKind(enum.StrEnum):
    """What a flag or a decision is about."""

    ANNOTATION = "annotation"
    PROPOSAL = "proposal"
    TERM = "term"
    COMMENT = "comment"  # on a definition proposal
    USER = "user"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    OTHER = "other"


class ModerationAction(enum.StrEnum):
    APPROVE = "approve"
    # A flagged published item stays published: the flags are settled, nothing else changes.
    KEEP_PUBLISHED = "keep_published"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    RESTRICT = "restrict"
    UNRESTRICT = "unrestrict"
    # An admin changed an account's role: old and new state are the roles.
    CHANGE_ROLE = "change_role"


class Flag(Base):
    """A participant's report that something needs a moderator; one per reporter and target.

    `resolved_at` is set when a moderator decides on the target: only open flags put
    an item in the queue or count towards hiding it.
    """

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("target_kind", "target_id", "reporter_id"),
        Index("ix_flags_target_kind_target_id", "target_kind", "target_id"),
        Index("ix_flags_resolved_at_created_at", "resolved_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[TargetKind] = mapped_column(enum_column(TargetKind, "target_kind"))
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason, "flag_reason"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reporter: Mapped[User] = relationship(lazy="raise")


class ModerationLog(Base):
    """One row per moderation decision (or automatic hiding): never changed, never removed.

    `moderator_id` is empty when the system acted (hiding after enough flags);
    `subject_id` is the account the decision concerns — the author of the content,
    or the account itself — so authors can be shown what was decided about them.
    """

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_target_kind_target_id", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Accounts are anonymised, never deleted, so these references always resolve.
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    target_kind: Mapped[TargetKind] = mapped_column(enum_column(TargetKind, "target_kind"))
    target_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[ModerationAction] = mapped_column(
        enum_column(ModerationAction, "moderation_action")
    )
    old_state: Mapped[str] = mapped_column(String(32))
    new_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id], lazy="raise")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="raise")


class AppendOnlyError(RuntimeError):
    """Someone tried to change or remove a moderation log row."""


@event.listens_for(Session, "before_flush")
def _keep_log_append_only(session: Session, _context, _instances) -> None:
    """The log is history: rows are added, never updated or deleted through the ORM.

    The database refuses updates too (a trigger from the migration).
    """
    for obj in session.dirty:
        if isinstance(obj, ModerationLog) and session.is_modified(obj):
            raise AppendOnlyError("the moderation log is append-only")
    for obj in session.deleted:
        if isinstance(obj, ModerationLog):
            raise AppendOnlyError("the moderation log is append-only")
