"""What the site holds about one account: its export ("download my data", GDPR articles 15
and 20) and its erasure when the account is deleted (article 17).

The export is declared table by table in `SECTIONS`: every table with a column that
refers to `users.id` has a section listing the rows that name the account, whatever the
column (author, voter, flagger, editor who answered or adopted, moderator, subject of a
decision, publisher of a version, token, session). A test walks `Base.metadata` and fails
when a column referring to accounts is in no section, so a new table has to be added here
to be merged.

Deleting an account keeps the row (contributions, votes and the moderation log refer to
it) but erases what identifies the person: the address, name, affiliation, country,
password hash and last log-in; the API tokens (their labels are free text) and the
sessions (devices and addresses) are deleted; the notes the account wrote on its flags
are emptied, the flags themselves stay, since they counted towards moderation; its
notifications, notification settings and follows are deleted, and so are the messages to
the address in the mail outbox, sent or not, so what still waited is never sent. What the
account contributed —
comments, replies, suggestions, proposals, their revisions, votes — stays, credited to
"Former participant" (`User.display_name`): it is part of the public record of the
consultation, which the participant agreed to when posting. Their bodies are not
rewritten, so a name someone typed into a comment stays in that comment.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from app.core.mail import forget_recipient
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationRevision,
    ApiToken,
    DefinitionProposal,
    Disposition,
    Flag,
    Follow,
    IdempotencyRecord,
    ModerationLog,
    Notification,
    NotificationSetting,
    OutgoingMail,
    PaperVersion,
    ProposalComment,
    StakeholderType,
    Term,
    User,
    UserSession,
    Vote,
)
from app.models.base import utcnow
from app.models.user import FORMER_PARTICIPANT


@dataclass(frozen=True)
class Section:
    """One part of the export: the rows of `model` whose `columns` name the account.

    `omit` are columns never exported (secrets, or HTML rendered from a column that is
    exported); `only` restricts the export to these columns (a published version's
    source is the paper, not the account's data); `others_hidden` are columns naming
    another account that are left out unless they name this one (who decided about
    the account is the moderators' business).
    """

    name: str
    model: type[Any]
    columns: tuple[str, ...]
    omit: frozenset[str] = field(default_factory=frozenset)
    only: tuple[str, ...] = ()
    others_hidden: tuple[str, ...] = ()


_HTML = frozenset({"body_html", "text_html", "rationale_html", "response_html", "adopted_html"})

SECTIONS: tuple[Section, ...] = (
    Section("api_tokens", ApiToken, ("user_id",), omit=frozenset({"token_hash"})),
    Section("sessions", UserSession, ("user_id",), omit=frozenset({"key_hash"})),
    # The API's answers kept for a day under the account's Idempotency-Keys: which keys,
    # when and with what outcome (the answers themselves are the contributions, exported
    # in their own sections).
    Section(
        "idempotency_keys",
        IdempotencyRecord,
        ("owner_id",),
        only=("id", "key", "status", "location", "created_at"),
    ),
    Section("annotations", Annotation, ("author_id",), omit=_HTML),
    Section("dispositions", Disposition, ("editor_id",), omit=_HTML),
    Section("terms", Term, ("author_id",)),
    Section("definition_proposals", DefinitionProposal, ("author_id", "adopted_by_id"), omit=_HTML),
    Section("votes", Vote, ("user_id",)),
    Section("proposal_comments", ProposalComment, ("author_id",), omit=_HTML),
    Section("flags", Flag, ("reporter_id",)),
    Section(
        "moderation_log",
        ModerationLog,
        ("moderator_id", "subject_id"),
        others_hidden=("moderator_id",),
    ),
    # Notifications: those the account received, and those others received about what it
    # did (without naming who received them); its e-mail choices; what it follows.
    Section("notifications", Notification, ("user_id", "actor_id"), others_hidden=("user_id",)),
    Section("notification_settings", NotificationSetting, ("user_id",)),
    Section("follows", Follow, ("user_id",)),
    Section(
        "published_versions",
        PaperVersion,
        ("published_by_id",),
        only=("id", "paper_id", "label", "title", "published_at", "published_by_id"),
    ),
)


def covered_columns() -> set[tuple[str, str]]:
    """Every (table, column) naming an account that the export covers."""
    return {(s.model.__tablename__, c) for s in SECTIONS for c in s.columns}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _rows(section: Section, user: User) -> list[dict[str, Any]]:
    model = section.model
    table = model.__table__
    names = section.only or [c.name for c in table.columns if c.name not in section.omit]
    naming = [getattr(model, c) == user.id for c in section.columns]
    found = db.session.execute(
        select(*(table.c[n] for n in names)).where(or_(*naming)).order_by(table.c.id)
    )
    rows = []
    for row in found.mappings():
        item = {name: _json_value(row[name]) for name in names}
        for other in section.others_hidden:
            if item.get(other) != user.id:
                item.pop(other, None)
        rows.append(item)
    return rows


def _revisions(user: User) -> list[dict[str, Any]]:
    """Earlier wordings of the account's own annotations (the table names no account)."""
    found = db.session.execute(
        select(
            AnnotationRevision.id,
            AnnotationRevision.annotation_id,
            AnnotationRevision.body,
            AnnotationRevision.proposed_text,
            AnnotationRevision.created_at,
        )
        .join(Annotation, Annotation.id == AnnotationRevision.annotation_id)
        .where(Annotation.author_id == user.id)
        .order_by(AnnotationRevision.id)
    )
    return [{k: _json_value(v) for k, v in row.items()} for row in found.mappings()]


def _mail(user: User) -> list[dict[str, Any]]:
    """The messages in the outbox addressed to the account (the table names no account,
    only the address): what, when and how their delivery went, never their bodies, which
    held one-time links (address confirmation, password reset)."""
    found = db.session.execute(
        select(
            OutgoingMail.id,
            OutgoingMail.message_id,
            OutgoingMail.recipient,
            OutgoingMail.subject,
            OutgoingMail.status,
            OutgoingMail.attempts,
            OutgoingMail.created_at,
            OutgoingMail.sent_at,
        )
        .where(func.lower(OutgoingMail.recipient) == user.email.lower())
        .order_by(OutgoingMail.id)
    )
    return [{k: _json_value(v) for k, v in row.items()} for row in found.mappings()]


def account_record(user: User) -> dict[str, Any]:
    """The account itself: what it says about itself and what the site noted of it."""
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "affiliation": user.affiliation,
        "stakeholder_type": user.stakeholder_type.value,
        "country": user.country,
        "created_at": _json_value(user.created_at),
        "terms_accepted_at": _json_value(user.terms_accepted_at),
        "email_confirmed_at": _json_value(user.email_confirmed_at),
        "last_login_at": _json_value(user.last_login_at),
        "trusted": user.trusted,
        "suspended_at": _json_value(user.suspended_at),
        "suspended_until": _json_value(user.suspended_until),
        "restricted_at": _json_value(user.restricted_at),
    }


def collect(user: User) -> dict[str, Any]:
    """The account and every row that names it, section by section, JSON-ready."""
    data: dict[str, Any] = {"account": account_record(user)}
    for section in SECTIONS:
        data[section.name] = _rows(section, user)
    data["annotation_revisions"] = _revisions(user)
    data["mail"] = _mail(user)
    return data


def erase(user: User) -> None:
    """Anonymise the account (see the module's docstring for what goes and what stays).

    The caller has checked the password; the request's boundary commits.
    """
    now = utcnow()
    address = user.email
    user.anonymised_at = now
    user.email = f"deleted-{user.id}@invalid"
    user.stored_name = FORMER_PARTICIPANT
    user.affiliation = ""
    user.country = None
    user.stakeholder_type = StakeholderType.OTHER
    user.password_hash = None
    user.last_login_at = None
    # Every session and remember-me cookie names no one from now on.
    user.session_version = (user.session_version or 1) + 1
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    # Stored API answers carry the account's name and text as they were sent.
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.owner_id == user.id))
    db.session.execute(update(Flag).where(Flag.reporter_id == user.id).values(note=""))
    # What it was told, how it wanted to be told, and what it followed go with it.
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationSetting).where(NotificationSetting.user_id == user.id))
    db.session.execute(delete(Follow).where(Follow.user_id == user.id))
    db.session.expire(user, ["tokens"])
    db.session.flush()
    forget_recipient(address)
