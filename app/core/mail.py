"""Outgoing e-mail, sent only once the transaction that asked for it has committed.

Services call `queue_mail` (or `queue_template_mail`) while they work; the message
waits in the database session's `info` and goes out from SQLAlchemy's
`after_commit` event. A rolled-back request therefore sends nothing: no
confirmation link for an account that was never stored. The session events are
registered on `sqlalchemy.orm.Session` when this module is imported, so importing
it is all the set-up it needs.

Delivery is SMTP when `MAIL_SERVER` is set. Without it (development, tests), each
message is logged and written to `MAIL_OUTBOX_DIR` as an `.eml` file whose links a
developer or a browser test can open. A failed delivery is logged, never raised:
the user's request has already succeeded.
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("app.mail")

_QUEUE_KEY = "app.mail.queue"
_URL = re.compile(r"https?://\S+")
SMTP_TIMEOUT = 20


@dataclass
class _Queued:
    message: EmailMessage
    app: Flask
    # The innermost SAVEPOINT open when the message was queued (None: the outer
    # transaction); rolling back that savepoint drops the message.
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


def queue_mail(
    to: str, subject: str, body_text: str, *, headers: Mapping[str, str] | None = None
) -> EmailMessage:
    """Queue a message to be sent after the current transaction commits."""
    session = _session()
    if not session.in_transaction():
        session.begin()  # what autobegin would do: the message belongs to this transaction
    message = build_message(to, subject, body_text, headers=headers)
    queued = _Queued(message, current_app._get_current_object(), session.get_nested_transaction())
    session.info.setdefault(_QUEUE_KEY, []).append(queued)
    return message


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
    kept = [q for q in queue if parseaddr(q.message["To"])[1].lower() != to.lower()]
    session.info[_QUEUE_KEY] = kept
    return len(queue) - len(kept)


# --- delivery ---------------------------------------------------------------------------


def deliver(message: EmailMessage, app: Flask | None = None) -> bool:
    """Send one message now (SMTP or the outbox folder); False, and logged, if it failed."""
    app = app or current_app._get_current_object()
    config = app.config
    try:
        if config.get("MAIL_SERVER"):
            _send_smtp(message, config)
        else:
            path = _write_outbox(message, Path(config["MAIL_OUTBOX_DIR"]))
            links = _URL.findall(message.get_content())
            log.info(
                "mail to %s: %s (no MAIL_SERVER; written to %s) links: %s",
                message["To"], message["Subject"], path, " ".join(links) or "none",
            )  # fmt: skip
    except Exception:
        log.exception("could not send mail to %s: %s", message["To"], message["Subject"])
        return False
    return True


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


# --- transaction hooks ------------------------------------------------------------------


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released; the outer transaction may still roll back
    queued = session.info.pop(_QUEUE_KEY, [])
    for item in queued:
        deliver(item.message, item.app)


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
