"""Who may do what: plain predicates, used by views, services and templates alike."""

from __future__ import annotations

from typing import Any

from app.models import Role

_RANK = {Role.PARTICIPANT: 0, Role.MODERATOR: 1, Role.EDITOR: 2, Role.ADMIN: 3}


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_moderator(user: Any) -> bool:
    """Moderators, and admins, who may do everything."""
    return _role(user) in {Role.MODERATOR, Role.ADMIN}


def is_editor(user: Any) -> bool:
    """Series editors, and admins."""
    return _role(user) in {Role.EDITOR, Role.ADMIN}


def is_admin(user: Any) -> bool:
    return _role(user) is Role.ADMIN


def can_moderate(user: Any) -> bool:
    """May open the moderation area."""
    return is_moderator(user)


def can_edit_papers(user: Any) -> bool:
    """May open the editor area and publish versions."""
    return is_editor(user)


def can_manage_roles(user: Any) -> bool:
    return is_admin(user)


def role_rank(role: Role) -> int:
    return _RANK[role]


TEMPLATE_PREDICATES = {
    "can_moderate": can_moderate,
    "can_edit_papers": can_edit_papers,
    "is_admin": is_admin,
}
