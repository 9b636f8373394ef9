"""The rules of moderation: pre-moderation, flags, and decisions that are always logged.

Moderation states change only here, and every change writes exactly one
`ModerationLog` row. A decision is a compare-and-set on the state the moderator saw:
when two moderators decide the same item at once, one wins and the other gets a
`ModerationError` with status 409, and the log has one row. Services add and flush;
the request's boundary (`app.core.transaction`) commits once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.core.errors import ServiceError
from app.core.i18n import gettext as _
from app.core.i18n import lazy_number
from app.core.permissions import can_flag, can_moderate, can_sanction, is_staff
from app.extensions import db
from app.models import (
    Flag,
    FlagReason,
    ModerationAction,
    ModerationLog,
    Role,
    TargetKind,
    User,
)
from app.models.base import utcnow
from app.moderation.labels import action_label, state_label
from app.moderation.states import (
    AccountState,
    ModerationState,
    Status,
    is_approved,
    is_held,
    is_published,
)
from app.moderation.targets import CONTENT_TYPES, ContentType, content_type
from app.notifications import events as notifications

log = logging.getLogger(__name__)
E = TypeVar("E", bound=enum.Enum)

MAX_REASON_LENGTH = 2_000
MAX_NOTE_LENGTH = 1_000

PENDING, PUBLISHED, HIDDEN, REJECTED = ModerationState
ACTIVE, SUSPENDED, RESTRICTED = AccountState

CONTENT_ACTIONS = (
    ModerationAction.APPROVE,
    ModerationAction.KEEP_PUBLISHED,
    ModerationAction.REJECT,
    ModerationAction.HIDE,
    ModerationAction.RESTORE,
)
ACCOUNT_ACTIONS = (
    ModerationAction.SUSPEND,
    ModerationAction.REINSTATE,
    ModerationAction.RESTRICT,
    ModerationAction.UNRESTRICT,
)

# action → {state before: state after}. A transition to the same state settles open
# flags (keep published: the item stays; hide: an automatically hidden item stays hidden),
# so it is allowed only while the item has open flags.
TRANSITIONS: dict[ModerationAction, dict[ModerationState, ModerationState]] = {
    ModerationAction.APPROVE: {PENDING: PUBLISHED},
    ModerationAction.KEEP_PUBLISHED: {PUBLISHED: PUBLISHED},
    ModerationAction.REJECT: {PENDING: REJECTED},
    ModerationAction.HIDE: {PUBLISHED: HIDDEN, HIDDEN: HIDDEN},
    ModerationAction.RESTORE: {HIDDEN: PUBLISHED, REJECTED: PUBLISHED},
}


class ModerationError(ServiceError):
    """A moderation rule was broken or a decision came too late; nothing was stored."""


# --- pre-moderation ---------------------------------------------------------------------


def approved_statuses(ct: ContentType) -> list[Any]:
    """The statuses of a content type that count as approved (see `states.is_approved`)."""
    return [s for s in ct.status_enum if is_approved(s)]


def approved_count(user_id: int) -> int:
    """Approved contributions of an account, over every kind of content: published ones,
    and adopted or superseded definition proposals."""
    return sum(
        db.session.scalar(
            select(func.count(t.model.id)).where(
                t.model.author_id == user_id, t.model.status.in_(approved_statuses(t))
            )
        )
        or 0
        for t in CONTENT_TYPES.values()
    )


def needs_review(author: User) -> bool:
    """Whether what `author` posts now starts as pending.

    Trusted accounts (made with `flask users create`) and staff never wait; others do
    until they have PREMODERATION_THRESHOLD approved contributions.
    """
    if author.trusted or is_staff(author):
        return False
    threshold = current_app.config["PREMODERATION_THRESHOLD"]
    return threshold > 0 and approved_count(author.id) < threshold


def initial_status(
    author: User, status_enum: type[Status], *, within: Iterable[Any] = ()
) -> Status:
    """The status new content of `author` starts with: pending or published, as a member
    of the kind's status enum (`AnnotationStatus`, `TermStatus`...).

    `within` are the contributions it goes into (a reply's parent and thread, a
    proposal's term, a comment's proposal and the comment it answers). While one of them
    is held (pending, hidden or rejected: `states.is_held`), the new content is held too,
    however trusted its author is by now: nothing reaches others through a container a
    moderator has not let out. Approving the container later does not approve it; it
    waits in the queue on its own.
    """
    if needs_review(author) or any(is_held(item) for item in within if item is not None):
        return PENDING.of_kind(status_enum)
    return PUBLISHED.of_kind(status_enum)


# --- flags ------------------------------------------------------------------------------


def _good_standing():
    """Accounts whose flags count: confirmed, not suspended, restricted or anonymised."""
    now = utcnow()
    return (
        User.email_confirmed_at.is_not(None),
        User.restricted_at.is_(None),
        User.anonymised_at.is_(None),
        or_(User.suspended_at.is_(None), User.suspended_until <= now),
    )


def open_flag_count(kind: TargetKind, target_id: int, *, counting_only: bool = False) -> int:
    """Open flags on an item; with `counting_only`, only those that count towards hiding."""
    query = select(func.count(Flag.id)).where(
        Flag.target_kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None)
    )
    if counting_only:
        query = query.join(User, User.id == Flag.reporter_id).where(*_good_standing())
    return db.session.scalar(query) or 0


def _one_of(enum_class: type[E], value: Any, field: str) -> E:
    """`value` as a member of `enum_class`; else a refusal on `field` that lists the choices."""
    try:
        return enum_class(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_class)
        refusals = {
            "reason": _("Choose a reason: %(choices)s.", choices=choices),
            "action": _("Unknown action; choose one of %(choices)s.", choices=choices),
            "target.type": _("Unknown target type; choose one of %(choices)s.", choices=choices),
        }
        raise ModerationError(refusals[field], field=field) from None


def flag(reporter: User, kind: TargetKind, item: Any, reason: Any, note: Any = "") -> Flag:
    """Report an item to the moderators, once per account and item.

    When FLAG_HIDE_THRESHOLD open flags from accounts in good standing are reached,
    the item is hidden until a moderator decides (one log row, with no moderator).
    """
    if not can_flag(reporter):
        raise ModerationError(
            _("Log in with a confirmed account to flag contributions."),
            code="forbidden",
            status=403,
        )
    if item.author_id == reporter.id:
        raise ModerationError(
            _("You cannot flag your own contribution."), code="own_content", status=403
        )
    if not is_published(item):
        raise ModerationError(
            _("Only published contributions can be flagged."), code="not_flaggable", status=409
        )
    reason = _one_of(FlagReason, reason, "reason")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ModerationError(_("The note must be text."), field="note")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ModerationError(
            _("At most %(n)s characters.", n=lazy_number(MAX_NOTE_LENGTH)),
            code="too_long",
            field="note",
        )
    already = select(Flag.id).where(
        Flag.target_kind == kind, Flag.target_id == item.id, Flag.reporter_id == reporter.id
    )
    if db.session.scalar(already) is not None:
        raise ModerationError(
            _("You have already flagged this contribution."), code="already_flagged", status=409
        )
    new = Flag(
        target_kind=kind,
        target_id=item.id,
        reporter_id=reporter.id,
        reason=reason,
        note=note,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(new)
    except IntegrityError:  # the same account flagged it a moment ago
        raise ModerationError(
            _("You have already flagged this contribution."), code="already_flagged", status=409
        ) from None
    threshold = current_app.config["FLAG_HIDE_THRESHOLD"]
    if threshold > 0 and open_flag_count(kind, item.id, counting_only=True) >= threshold:
        _hide_automatically(content_type(kind), item, threshold)
    return new


def _hide_automatically(ct: ContentType, item: Any, threshold: int) -> None:
    changed = _compare_and_set(ct, item, PUBLISHED, HIDDEN)
    if changed:
        _write_log(
            None,
            ct.kind,
            item.id,
            item.author_id,
            ModerationAction.HIDE,
            PUBLISHED,
            HIDDEN,
            _("Hidden automatically after %(n)s flags, until a moderator decides.", n=threshold),
        )


# --- decisions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: int


def clean_reason(reason: Any) -> str:
    """A decision's reason: required text, line breaks normalised, at most 2,000 characters."""
    if not isinstance(reason, str) or not reason.strip():
        raise ModerationError(_("Give a reason for the decision."), code="empty", field="reason")
    reason = reason.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ModerationError(
            _("At most %(n)s characters.", n=lazy_number(MAX_REASON_LENGTH)),
            code="too_long",
            field="reason",
        )
    return reason


def parse_action(value: Any) -> ModerationAction:
    return _one_of(ModerationAction, value, "action")


def parse_target(kind: Any, target_id: Any) -> Target:
    parsed = _one_of(TargetKind, kind, "target.type")
    if isinstance(target_id, bool) or not isinstance(target_id, int) or not 1 <= target_id < 2**31:
        raise ModerationError(_("Give the target's id, a whole number."), field="target.id")
    return Target(parsed, target_id)


def decide(
    moderator: User,
    target: Target,
    action: ModerationAction,
    reason: Any,
    *,
    until: datetime | None = None,
) -> ModerationLog:
    """Apply one decision and write its one log row; refuse it if someone else was first."""
    if not can_moderate(moderator):
        raise ModerationError(_("Only moderators decide."), code="forbidden", status=403)
    reason = clean_reason(reason)
    if target.kind is TargetKind.USER:
        if action not in ACCOUNT_ACTIONS:
            raise ModerationError(
                _("Accounts can be suspended, reinstated, restricted or unrestricted."),
                code="invalid_action",
                field="action",
            )
        return _decide_account(moderator, target.id, action, reason, until)
    ct = content_type(target.kind)
    if ct is None:
        raise ModerationError(
            _("There is no such content to moderate yet."), code="not_found", status=404
        )
    if action not in CONTENT_ACTIONS:
        raise ModerationError(
            _("Content can be approved, kept published, rejected, hidden or restored."),
            code="invalid_action",
            field="action",
        )
    if until is not None:
        raise ModerationError(_("Only a suspension has an end date."), field="until")
    item = db.session.get(ct.model, target.id)
    if item is None:
        raise ModerationError(_("Nothing to decide: it does not exist."), code="not_found",
                              status=404)  # fmt: skip
    if item.author_id == moderator.id:
        raise ModerationError(
            _("You cannot decide on your own contribution; another moderator will."),
            code="own_content",
            status=403,
        )
    old = ModerationState.of(item.status)
    if action is ModerationAction.APPROVE and old is PUBLISHED:
        # "Approve" of a published item (as API clients have sent it) keeps it published,
        # and the log says so.
        action = ModerationAction.KEEP_PUBLISHED
    new = TRANSITIONS[action].get(old) if old is not None else None
    needs_flags = new is old
    if new is None or (needs_flags and not open_flag_count(ct.kind, item.id)):
        raise _conflict(ct, action, item.status)
    if not needs_flags and not _compare_and_set(ct, item, old, new):
        raise _conflict(ct, action, None)
    settled = _resolve_flags(ct.kind, item.id)
    if needs_flags and not settled:
        raise _conflict(ct, action, None)
    row = _write_log(moderator, ct.kind, item.id, item.author_id, action, old, new, reason)
    # The author hears of it; content out for the first time notifies as if just posted.
    notifications.decision_made(moderator, ct.kind.value, item, action.value, old.value, new.value)
    return row


def decide_many(
    moderator: User, targets: list[Target], action: ModerationAction, reason: Any
) -> tuple[list[ModerationLog], list[tuple[Target, ModerationError]]]:
    """The same decision on several items (bulk approval); each succeeds or fails alone."""
    reason = clean_reason(reason)
    done, failed = [], []
    for target in targets:
        try:
            with db.session.begin_nested():
                done.append(decide(moderator, target, action, reason))
        except ModerationError as error:
            failed.append((target, error))
    return done, failed


def _conflict(ct: ContentType, action: ModerationAction, state: Any) -> ModerationError:
    """A refusal: the item's status `state` takes no such action (None: someone was first)."""
    if state is None:
        message = _("Someone decided on this %(what)s a moment ago; reload to see what.",
                    what=ct.label)  # fmt: skip
    else:
        message = _(
            "This %(what)s is %(state)s now, so it cannot be given “%(action)s”.",
            what=ct.label,
            state=state_label(state),
            action=action_label(action),
        )
    return ModerationError(message, code="conflict", status=409)


def _compare_and_set(
    ct: ContentType, item: Any, old: ModerationState, new: ModerationState
) -> bool:
    """Change the status only if it is still `old`; True when this call changed it."""
    result = db.session.execute(
        update(ct.model)
        .where(ct.model.id == item.id, ct.model.status == ct.status(old))
        .values(status=ct.status(new))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.flush()
    db.session.refresh(item, ["status"])
    return True


def _resolve_flags(kind: TargetKind, target_id: int) -> int:
    """Close the open flags of an item; the number closed."""
    result = db.session.execute(
        update(Flag)
        .where(Flag.target_kind == kind, Flag.target_id == target_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def account_state(user: User) -> AccountState:
    if user.is_suspended:
        return SUSPENDED
    return RESTRICTED if user.is_restricted else ACTIVE


def _decide_account(
    moderator: User, user_id: int, action: ModerationAction, reason: str, until: datetime | None
) -> ModerationLog:
    user = db.session.get(User, user_id)
    if user is None or user.anonymised_at is not None:
        raise ModerationError(_("There is no such account."), code="not_found", status=404)
    if not can_sanction(moderator, user):
        raise ModerationError(
            _("You cannot act on your own account or on staff of your rank or above."),
            code="forbidden",
            status=403,
        )
    now = utcnow()
    old = account_state(user)
    if action is ModerationAction.SUSPEND:
        if until is not None and until <= now:
            raise ModerationError(_("The end of a suspension must lie ahead."), field="until")
        if user.is_suspended:
            raise ModerationError(
                _("This account is already suspended; reinstate it first to change the end."),
                code="conflict",
                status=409,
            )
        # A new session version ends every session at once; tokens check `is_active`.
        condition = User.session_version == user.session_version
        values = {"suspended_at": now, "suspended_until": until,
                  "session_version": user.session_version + 1}  # fmt: skip
    elif until is not None:
        raise ModerationError(_("Only a suspension has an end date."), field="until")
    elif action is ModerationAction.REINSTATE:
        if not user.is_suspended:
            raise ModerationError(_("This account is not suspended."), code="conflict", status=409)
        condition = User.suspended_at == user.suspended_at
        values = {"suspended_at": None, "suspended_until": None}
    elif action is ModerationAction.RESTRICT:
        if user.is_restricted:
            raise ModerationError(_("This account is already restricted."), code="conflict",
                                  status=409)  # fmt: skip
        condition = User.restricted_at.is_(None)
        values = {"restricted_at": now}
    else:
        if not user.is_restricted:
            raise ModerationError(_("This account is not restricted."), code="conflict",
                                  status=409)  # fmt: skip
        condition = User.restricted_at.is_not(None)
        values = {"restricted_at": None}
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ModerationError(
            _("Someone decided on this account a moment ago; reload to see what."),
            code="conflict",
            status=409,
        )
    db.session.flush()
    db.session.refresh(user)
    new = account_state(user)
    return _write_log(moderator, TargetKind.USER, user.id, user.id, action, old, new, reason)


def log_role_change(admin: User, user: User, old: Role, new: Role, reason: Any) -> ModerationLog:
    """Write the log row of an admin's change of an account's role (the change itself is
    `app.admin.people.change_role`'s): the roles are its old and new state, so the account
    and moderators read it with the other decisions about the account."""
    reason = clean_reason(reason)
    action = ModerationAction.CHANGE_ROLE
    return _write_log(admin, TargetKind.USER, user.id, user.id, action, old, new, reason)


def _write_log(
    moderator: User | None,
    kind: TargetKind,
    target_id: int,
    subject_id: int | None,
    action: ModerationAction,
    old: ModerationState | AccountState | Role,
    new: ModerationState | AccountState | Role,
    reason: str,
) -> ModerationLog:
    row = ModerationLog(
        moderator_id=moderator.id if moderator else None,
        subject_id=subject_id,
        target_kind=kind,
        target_id=target_id,
        action=action,
        old_state=old.value,
        new_state=new.value,
        reason=str(reason),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    # %r keeps a reason's line breaks from forging lines in the application log.
    log.info(
        "moderation: %s %s %s:%s %s→%s reason=%r",
        f"user:{moderator.id}" if moderator else "system",
        action.value,
        kind.value,
        target_id,
        old.value,
        new.value,
        row.reason,
    )
    return row
