"""What the outbox page shows and the one thing it changes.

The listing reads the delivery columns only (`OUTBOX_COLUMNS`): never the message
itself, which may hold a one-time link (address confirmation, password reset) that an
admin must not be able to use. "Retry now" makes a pending or failed message due at
once; `app.core.mail` hands it over after the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from app.core import mail
from app.core.i18n import gettext as _
from app.extensions import db
from app.models import MailStatus, OutgoingMail

OUTBOX_COLUMNS = (
    OutgoingMail.id,
    OutgoingMail.message_id,
    OutgoingMail.recipient,
    OutgoingMail.subject,
    OutgoingMail.status,
    OutgoingMail.attempts,
    OutgoingMail.next_attempt_at,
    OutgoingMail.last_error,
    OutgoingMail.created_at,
    OutgoingMail.sent_at,
)


class OutboxError(Exception):
    """A refused outbox action, with a message for the admin."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OutboxPage:
    rows: list[OutgoingMail]
    total: int  # rows matching the filter
    counts: dict[MailStatus, int]  # every row, by status


def outbox_page(status: MailStatus | None, *, limit: int, offset: int) -> OutboxPage:
    """A page of the outbox, newest first, optionally of one status; three queries."""
    query = select(OutgoingMail).options(load_only(*OUTBOX_COLUMNS))
    if status is not None:
        query = query.where(OutgoingMail.status == status)
    rows = db.session.scalars(
        query.order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    grouped = db.session.execute(
        select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)
    ).all()
    counts = dict.fromkeys(MailStatus, 0) | {row[0]: row[1] for row in grouped}
    total = counts[status] if status is not None else sum(counts.values())
    return OutboxPage(list(rows), total, counts)


def retry(mail_id: int) -> OutgoingMail | None:
    """Make message `mail_id` due at once, to be handed over after the commit. None when
    there is no such message; an `OutboxError` when it is sent or being sent."""
    row = db.session.get(OutgoingMail, mail_id)
    if row is None:
        return None
    if not mail.retry_now(row):
        raise OutboxError(_refusal(row.status))
    return row


def _refusal(status: MailStatus) -> str:
    if status is MailStatus.SENT:
        return _("This message has been sent; there is nothing to retry.")
    return _("This message is being sent right now; there is nothing to retry.")
