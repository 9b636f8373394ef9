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


def is_staff(user: Any) -> bool:
    """Moderators, editors and admins: their contributions are never pre-moderated."""
    role = _role(user)
    return role is not None and role is not Role.PARTICIPANT


def can_sanction(moderator: Any, user: Any) -> bool:
    """Suspend or restrict an account: never one's own, and only below one's rank
    (admins act on every account but their own)."""
    if not is_moderator(moderator) or user is None or user.id == moderator.id:
        return False
    return is_admin(moderator) or role_rank(user.role) < role_rank(moderator.role)


def can_decide_on(moderator: Any, item: Any) -> bool:
    """Moderators decide on content, except their own."""
    return is_moderator(moderator) and item.author_id != moderator.id


def can_answer(user: Any) -> bool:
    """Give the editors' answer (a disposition) to a thread: series editors and admins."""
    return is_editor(user)


def can_adopt(user: Any) -> bool:
    """Adopt or reject a proposed definition and manage a term's aliases: series editors
    and admins."""
    return is_editor(user)


def can_manage_roles(user: Any) -> bool:
    """List the accounts and change their roles: admins only, since a role gives rights
    over everything else (the last administrator keeps the role, `app.admin.people`)."""
    return is_admin(user)


def can_see_outbox(user: Any) -> bool:
    """See the mail outbox (recipients, subjects, delivery errors) and retry a message:
    admins only, since it lists every address the site writes to."""
    return is_admin(user)


def role_rank(role: Role) -> int:
    return _RANK[role]


def can_annotate(user: Any) -> bool:
    """May start threads and reply: a logged-in, active account with a confirmed address.

    Whether the paper takes comments at the moment is a separate rule (its comment period).
    """
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.email_confirmed
    )


def is_author(user: Any, annotation: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and annotation.author_id == user.id)


def can_edit_annotation(user: Any, annotation: Any) -> bool:
    """Only the author edits, and only what is still there (not deleted, hidden or rejected)."""
    from app.models.annotation import AnnotationStatus

    return (
        can_annotate(user)
        and is_author(user, annotation)
        and annotation.status in {AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING}
    )


def can_delete_annotation(user: Any, annotation: Any) -> bool:
    """Authors delete their own; moderators hide instead (with a reason, in the log)."""
    from app.models.annotation import AnnotationStatus

    return (
        getattr(user, "is_authenticated", False)
        and is_author(user, annotation)
        and annotation.status is not AnnotationStatus.DELETED
    )


def can_flag(user: Any) -> bool:
    """Report a contribution to the moderators: anyone who may take part."""
    return can_annotate(user)


def can_read_words(user: Any, annotation: Any) -> bool:
    """Whether the viewer sees what a contribution says, or only its placeholder.

    Deleted words are gone for everyone; hidden and rejected ones stay readable to their
    author (who is told why) and to moderators.
    """
    from app.models.annotation import AnnotationStatus

    if annotation.status is AnnotationStatus.DELETED:
        return False
    if annotation.status in {AnnotationStatus.HIDDEN, AnnotationStatus.REJECTED}:
        return is_author(user, annotation) or is_moderator(user)
    return True


def can_see_annotation(viewer: Any, annotation: Any, author: Any) -> bool:
    """Whether a viewer may read an annotation's words outside its thread (a notification,
    a digest): what `app.annotations.queries.visible_to` lets them see, placeholders
    apart. Its author reads it unless deleted; others while it is published and its author
    is not restricted; moderators also while it waits for review."""
    from app.models.annotation import AnnotationStatus

    status = annotation.status
    if status is AnnotationStatus.DELETED:
        return False
    if is_author(viewer, annotation):
        return True
    if is_moderator(viewer):
        return status in {AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING}
    restricted = author is not None and author.restricted_at is not None
    return status is AnnotationStatus.PUBLISHED and not restricted


def can_see_proposal(viewer: Any, proposal: Any) -> bool:
    """Who sees a proposal: everyone once it is out, its author always, moderators too.

    An editor's rejection is part of the term's record; a moderator's (spam, abuse) is not.
    """
    from app.models.definitions import ProposalStatus

    if proposal.status in (ProposalStatus.PENDING, ProposalStatus.HIDDEN) or (
        proposal.status is ProposalStatus.REJECTED and proposal.editor_reason is None
    ):
        return is_author(viewer, proposal) or is_moderator(viewer)
    return True


# The predicates templates ask, by the same names as here.
TEMPLATE_PREDICATES = {
    fn.__name__: fn
    for fn in (
        can_moderate,
        can_edit_papers,
        is_admin,
        can_see_outbox,
        can_manage_roles,
        can_answer,
        is_staff,
        can_flag,
        can_adopt,
        can_read_words,
        can_decide_on,
        can_sanction,
        is_moderator,
        can_annotate,
        can_edit_annotation,
        can_delete_annotation,
    )
}
