"""Outgoing e-mail: a durable outbox, handed over only once the transaction that asked
for it has committed.

Services call `queue_mail` (or `queue_template_mail`) while they work; the message
becomes an `OutgoingMail` row in the same transaction. A rolled-back request (or
SAVEPOINT) therefore stores, and sends, nothing: no confirmation link for an account
that was never stored. Once the transaction commits, the process that made the mail
hands its rows over from SQLAlchemy's `after_commit` event, each in short transactions
of its own; a row that could not be handed over stays in the table and
`flask mail retry` (cron) tries it again later. The session events are registered on
`sqlalchemy.orm.Session` when this module is imported, so importing it is all the
set-up it needs.

Never sent twice: a process claims a row before sending it, with one UPDATE that only
succeeds while the row is pending and due, or while an earlier claim has expired
(`CLAIM_TIMEOUT`), and marks it sent once the SMTP server has accepted it. Two
processes that reach for the same row at once (the after-commit hand-over and
`flask mail retry`, two cron runs) cannot both claim it. The one case that sends a
message twice is a process killed after the server accepted the message and before
the row was marked sent: the row is claimed again once its claim expires. The copy
carries the same Message-ID, which lets a receiving system tell it is a copy.

A failed attempt leaves the row pending with the error and the time of the next
attempt, further away after each failure (`BACKOFF`); after `MAX_ATTEMPTS` it is
marked failed for good, unless an admin retries it from /admin/mail.

Delivery is SMTP when `MAIL_SERVER` is set. Without it (development, tests), each
message is logged and written to `MAIL_OUTBOX_DIR` as an `.eml` file whose links a
developer or a browser test can open: that write is the delivery. A failed delivery is
logged and recorded, never raised: the user's request has already succeeded.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import secrets
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context, render_template
from sqlalchemy import and_, delete, event, func, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction

from app.core.database import writing
from app.models import MailStatus, OutgoingMail
from app.models.base import utcnow

log = logging.getLogger("app.mail")

_QUEUE_KEY = "app.mail.queue"
_URL = re.compile(r"https?://\S+")
SMTP_TIMEOUT = 20

# How long a claim holds. A process that claimed a row and was killed before it marked
# the row sent or failed leaves it "sending"; after this long any process may claim it
# again. It must exceed the longest time a live process can spend on one message, or a
# slow but live sender would be overtaken and the message sent twice: every step of an
# SMTP conversation (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT) may take up
# to SMTP_TIMEOUT seconds, so about 3 minutes at worst; 10 minutes leaves a wide margin
# and still brings a stranded message out at the next cron run but one.
CLAIM_TIMEOUT = timedelta(minutes=10)

# The wait after the 1st, 2nd, … failed attempt; the last one repeats. Together with
# MAX_ATTEMPTS: attempts at 0, 1 min, 6 min, 36 min, 2 h 36, 14 h 36, 26 h 36 and
# 38 h 36 after the message was made, then it is failed for good. Short waits first (a
# relay restarting), then long ones (a relay down for the night); giving up within two
# days, because the links that most mail carries (address confirmation, 48 hours) are
# dead by then and a late message would only confuse.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = 8
MAX_ERROR_LENGTH = 1000


@dataclass
class _Queued:
    row: OutgoingMail
    message_id: str  # the row's, kept apart: after the commit the row is expired
    message: EmailMessage
    app: Flask
    # The innermost SAVEPOINT open when the message was queued (None: the outer
    # transaction); rolling back that savepoint drops the message (and its row).
    savepoint: SessionTransaction | None


def _session() -> Session:
    from app.extensions import db

    return db.session()


def build_message(
    to: str, subject: str, body_text: str, *, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """A plain-text message from the configured sender, ready to send. `headers` adds
    header fields such as `List-Unsubscribe` (RFC 8058) to the standard ones."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body_text)
    return message


def _columns_for(message: EmailMessage) -> dict[str, Any]:
    """The outbox row's values for a new message: pending, due at once."""
    now = utcnow()
    return {
        "message_id": str(message["Message-ID"]),
        "recipient": str(message["To"]),
        "subject": str(message["Subject"] or ""),
        "message": message.as_bytes(),
        "status": MailStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_mail(
    to: str, subject: str, body_text: str, *, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """Store a message in the outbox, in the current transaction; it is handed over
    after that transaction commits."""
    message = build_message(to, subject, body_text, headers=headers)
    _enqueue(_session(), OutgoingMail(**_columns_for(message)), message)
    return message


def _enqueue(session: Session, row: OutgoingMail, message: EmailMessage) -> None:
    if not session.in_transaction():
        session.begin()  # what autobegin would do: the message belongs to this transaction
    session.add(row)
    queued = _Queued(
        row,
        str(message["Message-ID"]),
        message,
        current_app._get_current_object(),
        session.get_nested_transaction(),
    )
    session.info.setdefault(_QUEUE_KEY, []).append(queued)


def queue_template_mail(
    to: str,
    subject: str,
    template: str,
    *,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> EmailMessage:
    """Queue a message whose body is `templates/mail/<template>.txt` rendered with `context`."""
    body = render_template(f"mail/{template}.txt", **context)
    return queue_mail(to, subject, body, headers=headers)


def pending_mail(session: Session | None = None) -> list[EmailMessage]:
    """The messages waiting for the current transaction to commit."""
    session = session or _session()
    return [q.message for q in session.info.get(_QUEUE_KEY, [])]


def discard_pending_mail(to: str, session: Session | None = None) -> int:
    """Drop the messages to `to` still waiting for the transaction (a deleted account's
    address must not be mailed after it is gone); returns how many were dropped."""
    session = session or _session()
    queue = session.info.get(_QUEUE_KEY, [])
    kept = []
    for queued in queue:
        if parseaddr(queued.message["To"])[1].lower() != to.lower():
            kept.append(queued)
        elif queued.row in session.new:
            session.expunge(queued.row)
        else:
            session.delete(queued.row)
    session.info[_QUEUE_KEY] = kept
    return len(queue) - len(kept)


def forget_recipient(address: str, session: Session | None = None) -> int:
    """Delete every stored message to `address`, sent or not, and drop those still waiting
    for the transaction: a deleted account's address must neither be mailed nor stay in
    the database. Returns how many messages went."""
    session = session or _session()
    dropped = discard_pending_mail(address, session)
    session.flush()
    gone = session.execute(
        delete(OutgoingMail).where(func.lower(OutgoingMail.recipient) == address.lower())
    )
    return dropped + (gone.rowcount or 0)


def retry_now(row: OutgoingMail) -> bool:
    """Make a pending or failed message due at once, to be handed over after the commit
    (an admin's "retry now"); False for one that is sent or being sent."""
    if row.status not in (MailStatus.PENDING, MailStatus.FAILED):
        return False
    row.status = MailStatus.PENDING
    row.next_attempt_at = utcnow()
    message = email.message_from_bytes(row.message, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    _enqueue(_session(), row, message)
    return True


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 or more)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


# --- delivery ---------------------------------------------------------------------------


def deliver(message: EmailMessage, app: Flask | None = None) -> bool:
    """Send one message now, outside the outbox (no row, no retry): SMTP or the outbox
    folder; False, and logged, if it failed."""
    app = app or current_app._get_current_object()
    try:
        _send(message, app.config)
    except Exception:
        log.exception("could not send mail to %s: %s", message["To"], message["Subject"])
        return False
    return True


def _send(message: EmailMessage, config: Any) -> None:
    """Hand one message to the SMTP server, or write it to the outbox folder; raises
    when that failed."""
    if config.get("MAIL_SERVER"):
        _send_smtp(message, config)
    else:
        path = _write_outbox(message, Path(config["MAIL_OUTBOX_DIR"]))
        links = _URL.findall(message.get_content())
        log.info(
            "mail to %s: %s (no MAIL_SERVER; written to %s) links: %s",
            message["To"], message["Subject"], path, " ".join(links) or "none",
        )  # fmt: skip


def _send_smtp(message: EmailMessage, config: Any) -> None:
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=context)
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
    log.info("mail to %s: %s (sent through %s)", message["To"], message["Subject"], host)


def _write_outbox(message: EmailMessage, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{secrets.token_hex(4)}.eml"
    path.write_bytes(message.as_bytes())
    return path


# --- the outbox: claim, send, settle ----------------------------------------------------

_TABLE = OutgoingMail.__table__


@dataclass(frozen=True)
class _Claim:
    id: int
    attempts: int
    message: bytes


def _claimable(now: datetime):
    """Rows a process may claim now: pending and due, or claimed by a process that has
    not settled them within CLAIM_TIMEOUT (killed, most likely)."""
    c = _TABLE.c
    return or_(
        and_(c.status == MailStatus.PENDING, c.next_attempt_at <= now),
        and_(c.status == MailStatus.SENDING, c.claimed_at <= now - CLAIM_TIMEOUT),
    )


@contextmanager
def _app_context(app: Flask) -> Iterator[None]:
    """`app`'s context: the current one when it is `app`'s, else a new one (the hand-over
    after a response has gone runs outside any)."""
    same = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if same else app.app_context():
        yield


def _engine():
    from app.extensions import db

    return db.engine


def _claim(where) -> _Claim | None:
    """Claim one claimable row matched by `where`, in a transaction of its own: None when
    it is not there, not due, or another process has it."""
    now = utcnow()
    statement = (
        update(_TABLE)
        .where(where, _claimable(now))
        .values(status=MailStatus.SENDING, claimed_at=now, attempts=_TABLE.c.attempts + 1)
        .returning(_TABLE.c.id, _TABLE.c.attempts, _TABLE.c.message)
    )
    with writing(), _engine().begin() as connection:
        found = connection.execute(statement).first()
    return _Claim(found.id, found.attempts, found.message) if found else None


def _settle(claim: _Claim, error: str | None) -> MailStatus | None:
    """Record how the claimed attempt ended, if the claim is still ours; the new status,
    or None when another process took the row over meanwhile."""
    now = utcnow()
    if error is None:
        values: dict[str, Any] = {"status": MailStatus.SENT, "sent_at": now, "last_error": None}
    elif claim.attempts >= MAX_ATTEMPTS:
        values = {"status": MailStatus.FAILED, "last_error": error}
    else:
        values = {
            "status": MailStatus.PENDING,
            "last_error": error,
            "next_attempt_at": now + backoff(claim.attempts),
        }
    statement = (
        update(_TABLE)
        .where(
            _TABLE.c.id == claim.id,
            _TABLE.c.status == MailStatus.SENDING,
            _TABLE.c.attempts == claim.attempts,  # the claim is still this one
        )
        .values(claimed_at=None, **values)
    )
    with writing(), _engine().begin() as connection:
        settled = connection.execute(statement).rowcount == 1
    if not settled:
        log.warning("mail %s was taken over by another process while this one sent it", claim.id)
        return None
    return values["status"]


def _hand_over(where, config: Any) -> MailStatus | None:
    """Claim the row `where` names, send it and record the outcome: its new status, or
    None when there was nothing to claim."""
    claim = _claim(where)
    if claim is None:
        return None
    message = email.message_from_bytes(claim.message, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    error = None
    try:
        _send(message, config)
    except Exception as failure:
        log.exception(
            "could not send mail to %s: %s (attempt %d of %d)",
            message["To"], message["Subject"], claim.attempts, MAX_ATTEMPTS,
        )  # fmt: skip
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_LENGTH]
    return _settle(claim, error)


def hand_over(message_ids: list[str], app: Flask) -> None:
    """Hand over the messages of a transaction that has just committed. Never raises: the
    work is stored, and what could not be sent stays in the outbox for `retry_due`."""
    with _app_context(app):
        for message_id in message_ids:
            try:
                _hand_over(_TABLE.c.message_id == message_id, app.config)
            except Exception:
                log.exception("could not hand over mail %s; it waits in the outbox", message_id)


def send_now(message: EmailMessage, app: Flask) -> None:
    """Store `message` in the outbox in a transaction of its own and hand it over at once:
    for mail that is sent after the answer has gone (the password-reset page), outside
    the request's transaction, yet kept for `flask mail retry` if the server is down."""
    with _app_context(app):
        try:
            with writing(), _engine().begin() as connection:
                connection.execute(_TABLE.insert().values(**_columns_for(message)))
        except Exception:
            log.exception("could not store mail to %s: %s", message["To"], message["Subject"])
            return
    hand_over([str(message["Message-ID"])], app)


@dataclass(frozen=True)
class RetrySummary:
    """What a retry run did: messages sent, still failing (to be tried again), given up
    (failed for good), and skipped because another process had claimed them first."""

    sent: int = 0
    failing: int = 0
    given_up: int = 0
    skipped: int = 0


def retry_due(app: Flask | None = None) -> RetrySummary:
    """Hand over every message that is due: pending past its `next_attempt_at`, or left
    claimed past CLAIM_TIMEOUT by a process that died (`flask mail retry`)."""
    app = app or current_app._get_current_object()
    with _app_context(app):
        with _engine().connect() as connection:
            ids = connection.scalars(
                select(_TABLE.c.id).where(_claimable(utcnow())).order_by(_TABLE.c.id)
            ).all()
        counts = {MailStatus.SENT: 0, MailStatus.PENDING: 0, MailStatus.FAILED: 0, None: 0}
        for mail_id in ids:
            counts[_hand_over(_TABLE.c.id == mail_id, app.config)] += 1
    return RetrySummary(
        sent=counts[MailStatus.SENT],
        failing=counts[MailStatus.PENDING] + counts[MailStatus.FAILED],
        given_up=counts[MailStatus.FAILED],
        skipped=counts[None],
    )


# --- transaction hooks ------------------------------------------------------------------


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released; the outer transaction may still roll back
    queued = session.info.pop(_QUEUE_KEY, [])
    by_app: dict[int, tuple[Flask, list[str]]] = {}
    for item in queued:
        by_app.setdefault(id(item.app), (item.app, []))[1].append(item.message_id)
    for app, message_ids in by_app.values():
        hand_over(message_ids, app)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """A SAVEPOINT rolled back: drop what was queued inside it, keep the rest."""
    queued = session.info.get(_QUEUE_KEY)
    if queued and previous_transaction.nested:
        session.info[_QUEUE_KEY] = [
            q for q in queued if not _inside(q.savepoint, previous_transaction)
        ]


def _inside(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The outer transaction ended without a commit (rollback, close): forget its mail."""
    if transaction.parent is None:
        session.info.pop(_QUEUE_KEY, None)


def _register_session_events() -> None:
    hooks = {
        "after_commit": _after_commit,
        "after_soft_rollback": _after_soft_rollback,
        "after_transaction_end": _after_transaction_end,
    }
    for name, hook in hooks.items():
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


_register_session_events()
