"""The daily digest: one e-mail per account listing what it chose to hear of once a day.

`send_digests` (the `flask notifications send-digests` command, for cron) takes every
notification still due in a digest, account by account. It asks the account's settings as
they are now, so a kind turned off after the notification was made is not mailed, and
what the account may no longer see (hidden or deleted since) is left out. Each account is
its own unit of work: the notifications are claimed (due → mailed) by a compare-and-set,
so that two runs at once cannot both mail them, and the e-mail leaves after the commit.
Running it twice sends nothing the second time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import select, update

from app.core.i18n import in_language_of
from app.core.transaction import unit_of_work
from app.extensions import db
from app.models import Delivery, Notification, User
from app.models.base import utcnow
from app.notifications import mailing, queries, settings


@dataclass
class DigestSummary:
    digests: int = 0
    items: int = 0
    dropped: int = 0  # due once, but turned off or no longer visible since


class _Taken(Exception):
    """Another run claimed some of an account's notifications first."""


def send_digests() -> DigestSummary:
    """Mail every due digest; commit account by account."""
    summary = DigestSummary()
    with unit_of_work():  # ends the reading transaction; each account's work is its own
        due = db.session.execute(
            select(Notification.user_id, Notification.id)
            .where(Notification.digest_due.is_(True))
            .order_by(Notification.user_id, Notification.id)
        ).all()
    for user_id, rows in itertools.groupby(due, key=lambda row: row[0]):
        try:
            with unit_of_work():
                _send_one(user_id, [row[1] for row in rows], summary)
        except _Taken:
            continue  # that run mails them
    return summary


def _send_one(user_id: int, ids: list[int], summary: DigestSummary) -> None:
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.digest_due.is_(True))
        .values(digest_due=False)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != len(ids):
        raise _Taken  # rolled back: leave this account to the other run
    user = db.session.get(User, user_id)
    rows = list(db.session.scalars(select(Notification).where(Notification.id.in_(ids))))
    chosen = settings.settings_of(user) if user is not None else {}
    wanted = [n for n in rows if chosen.get(n.kind, Delivery.OFF) is not Delivery.OFF]
    loaded = queries.load(wanted)
    with in_language_of(user):  # the items' words are the mail's
        items = [item for n in wanted if (item := queries.describe(n, loaded, user)).available]
    summary.dropped += len(rows) - len(items)
    if not items or user is None or not mailing.mailable(user):
        summary.dropped += len(items)
        return
    mailing.send_digest(user, items)
    now = utcnow()
    for item in items:
        item.notification.mailed_at = now
    db.session.flush()
    summary.digests += 1
    summary.items += len(items)
