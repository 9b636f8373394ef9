"""People and their roles: the admins' list of accounts and the one change it makes.

A role change is a decision about an account like a suspension, so it is written to the
moderation log (`ModerationAction.CHANGE_ROLE`, the old and the new role as its states,
the admin's reason): one append-only history, which the database guards with its
trigger, the log page filters and exports, and the account's owner reads in the account
area with the other decisions about them.

The role is read from the database on every request (`app.accounts.sessions.load_user`
loads the account with its session, an API token loads its account), so a change takes
effect on the account's next request: its open sessions go on working, with the new
rights. The site always keeps an active administrator: the last one cannot be made
anything else. Services add and flush; the request's boundary commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.core.errors import ServiceError
from app.core.i18n import gettext as _
from app.core.labels import role_label
from app.core.permissions import can_manage_roles
from app.extensions import db
from app.models import ModerationAction, ModerationLog, Role, TargetKind, User
from app.models.base import utcnow
from app.moderation.services import clean_reason, log_role_change

MAX_QUERY_LENGTH = 100


class RoleChangeError(ServiceError):
    """A refused role change, with a message for the admin; nothing was stored."""


@dataclass(frozen=True)
class PeoplePage:
    rows: list[User]
    total: int  # accounts matching the search and the filter
    counts: dict[Role, int]  # every account that is not deleted, by role


def _like(text: str) -> str:
    """`text` as a LIKE pattern that matches it anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def people_page(search: str, role: Role | None, *, limit: int, offset: int) -> PeoplePage:
    """A page of the accounts (deleted ones left out), by name, whose name or e-mail
    address holds `search` (any case), optionally of one role; three queries whatever
    the number of accounts."""
    query = select(User).where(User.anonymised_at.is_(None))
    search = search.strip()
    if search:
        pattern = _like(search)
        query = query.where(
            or_(
                User.stored_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(func.lower(User.stored_name), User.id).limit(limit).offset(offset)
    ).all()
    grouped = db.session.execute(
        select(User.role, func.count()).where(User.anonymised_at.is_(None)).group_by(User.role)
    ).all()
    counts = dict.fromkeys(Role, 0) | {row[0]: row[1] for row in grouped}
    return PeoplePage(list(rows), total, counts)


def person(user_id: int) -> User | None:
    """The account an admin may change the role of: not a deleted one."""
    user = db.session.get(User, user_id)
    if user is None or user.anonymised_at is not None:
        return None
    return user


def role_changes(user: User, limit: int = 20) -> list[ModerationLog]:
    """The account's role changes, newest first, with who made them: one query and one
    for the admins."""
    return list(
        db.session.scalars(
            select(ModerationLog)
            .where(
                ModerationLog.target_kind == TargetKind.USER,
                ModerationLog.target_id == user.id,
                ModerationLog.action == ModerationAction.CHANGE_ROLE,
            )
            .options(selectinload(ModerationLog.moderator))
            .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
            .limit(limit)
        )
    )


def parse_role(value: Any) -> Role:
    """A role from what a form or a client sent; a `RoleChangeError` on `role` otherwise."""
    try:
        return Role(value)
    except ValueError:
        raise RoleChangeError(
            _("Choose participant, moderator, series editor or administrator."),
            code="invalid_role",
            field="role",
        ) from None


def _other_active_admins(user: User) -> int:
    """How many administrators besides `user` could still manage the site: not deleted,
    not suspended. Every admin's row is locked, in one order (PostgreSQL), so that two
    admins stepping each other down at once run one after the other and the second sees
    the first's change; SQLite's write transactions run one at a time anyway."""
    now = utcnow()
    admins = db.session.execute(
        select(User.id, User.anonymised_at, User.suspended_at, User.suspended_until)
        .where(User.role == Role.ADMIN)
        .order_by(User.id)
        .with_for_update()
    ).all()
    return sum(
        1
        for admin_id, anonymised_at, suspended_at, suspended_until in admins
        if admin_id != user.id
        and anonymised_at is None
        and (suspended_at is None or (suspended_until is not None and suspended_until <= now))
    )


def change_role(
    admin: User, user: User, new_role: Any, reason: Any, *, confirmed: bool = False
) -> ModerationLog:
    """Give `user` the role `new_role`, with the admin's reason, and log it.

    Refused: by anyone but an admin; a deleted account; the role it has already; one's
    own role unless `confirmed` (an admin who steps down loses this page at once); and
    the last active administrator's, so that someone can always manage the site.
    """
    if not can_manage_roles(admin):
        raise RoleChangeError(_("Only administrators change roles."), code="forbidden",
                              status=403)  # fmt: skip
    if user.anonymised_at is not None:
        raise RoleChangeError(_("This account was deleted."), code="not_found", status=404)
    new = parse_role(new_role)
    old = user.role
    if new is old:
        raise RoleChangeError(
            _(
                "%(name)s has this role already: %(role)s.",
                name=user.display_name,
                role=role_label(new),
            ),
            code="unchanged",
            field="role",
        )
    if user.id == admin.id and not confirmed:
        raise RoleChangeError(
            _("You are changing your own role: tick the box to confirm it."),
            code="confirm",
            field="confirm",
        )
    if old is Role.ADMIN and not _other_active_admins(user):
        raise RoleChangeError(
            _(
                "%(name)s is the last active administrator: make another account an "
                "administrator first, so that someone can still manage the site.",
                name=user.display_name,
            ),
            code="last_admin",
            status=409,
        )
    # The reason is checked before anything is written.
    reason = clean_reason(reason)
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, User.role == old)
        .values(role=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RoleChangeError(
            _("Someone changed this account's role a moment ago; reload to see it."),
            code="conflict",
            status=409,
        )
    db.session.flush()
    db.session.refresh(user)
    return log_role_change(admin, user, old, new, reason)
