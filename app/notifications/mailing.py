"""Notification e-mail: one message at once, or one digest a day, each with a one-click
unsubscribe link (RFC 8058) in its body and in its `List-Unsubscribe` header.

Messages are queued through `app.core.mail`, which sends them after the commit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.core.i18n import gettext as _
from app.core.i18n import in_language_of, ngettext
from app.core.mail import queue_template_mail
from app.core.urls import absolute_url
from app.models import NotificationKind, User
from app.notifications import settings
from app.notifications.queries import Item, kind_label

SUBJECT_LENGTH = 120


def mailable(user: User) -> bool:
    """Mail goes only to confirmed addresses of accounts that still exist."""
    return user.email_confirmed_at is not None and user.anonymised_at is None


def _unsubscribe_headers(link: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_link(user: User, kind: NotificationKind | None) -> str:
    return absolute_url("notifications.unsubscribe", token=settings.unsubscribe_token(user, kind))


def send_now(user: User, item: Item) -> None:
    """Queue the e-mail of one notification, with a link that turns its kind off."""
    with in_language_of(user):
        link = unsubscribe_link(user, item.kind)
        # One line, whatever names it carries (a header cannot hold a line break).
        headline = " ".join(item.headline.rstrip(".").split())
        if len(headline) > SUBJECT_LENGTH:
            headline = headline[: SUBJECT_LENGTH - 1].rstrip() + "…"
        queue_template_mail(
            user.email,
            _("Think Paper Commons: %(headline)s", headline=headline),
            "notification_immediate",
            headers=_unsubscribe_headers(link),
            user=user,
            item=item,
            url=item.absolute(),
            kind_label=kind_label(item.kind),
            settings_url=absolute_url("accounts.profile", _anchor="notifications"),
            unsubscribe_url=link,
        )


@dataclass
class Group:
    label: str
    items: list[Item]


def send_digest(user: User, items: list[Item]) -> None:
    """Queue one e-mail listing `items`, grouped by kind in a fixed order, with a link
    that turns every notification e-mail off."""
    with in_language_of(user):
        order = list(NotificationKind)
        ordered = sorted(items, key=lambda item: (order.index(item.kind), item.notification.id))
        groups = [
            Group(kind_label(kind), list(found))
            for kind, found in itertools.groupby(ordered, key=lambda item: item.kind)
        ]
        link = unsubscribe_link(user, None)
        count = len(items)
        queue_template_mail(
            user.email,
            ngettext(
                "Think Paper Commons: %(num)d new notification",
                "Think Paper Commons: %(num)d new notifications",
                count,
            ),
            "notification_digest",
            headers=_unsubscribe_headers(link),
            user=user,
            groups=groups,
            count=count,
            list_url=absolute_url("notifications.index"),
            settings_url=absolute_url("accounts.profile", _anchor="notifications"),
            unsubscribe_url=link,
        )
