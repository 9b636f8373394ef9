"""The outbox: every e-mail the site sends, stored before it is handed to the mail server.

A message is a row from the moment a service queues it, in the same transaction as the
work it tells of: a rolled-back request (or SAVEPOINT) leaves no row, so nothing is sent,
and a committed one keeps its message until the SMTP server has accepted it, however
often the server is down meanwhile. `app.core.mail` writes, claims and sends the rows.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class MailStatus(enum.Enum):
    """Where a message stands.

    pending: waiting to be handed over (new, or an earlier attempt failed and
    `next_attempt_at` says when to try again); sending: claimed by one process, which is
    talking to the mail server now (until `claimed_at` + the claim timeout); sent: the
    server accepted it; failed: given up after the last attempt (an admin may retry it).
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(Base):
    """One message: its bytes exactly as they go out, and its delivery so far."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header, angle brackets included: the same at every attempt.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    # The whole message (headers and body) as RFC 5322 bytes; never shown on any page,
    # since it may hold a one-time link (confirmation, password reset).
    message: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[MailStatus] = mapped_column(
        enum_column(MailStatus, "mail_status"), default=MailStatus.PENDING
    )
    # Hand-overs begun so far, counted when a process claims the row.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
