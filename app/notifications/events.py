"""What happened, and who hears of it: the entry points the other areas' services call.

Each function is called inside the service's unit of work, once the content concerned is
out in the open (a pre-moderated reply notifies when a moderator approves it, not when
it is written). One notification per account and event, however many reasons apply (a
participant of the thread who also follows the section gets "reply", not both), and
never one to the account that acted. Content of a restricted account reaches no one
else, so it notifies no one. Mail is queued here for the accounts that want it at once,
and leaves only after the commit (`app.core.mail`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from app.core.i18n import in_language_of
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationStatus,
    DefinitionProposal,
    Delivery,
    Disposition,
    Follow,
    FollowTarget,
    Notification,
    NotificationKind,
    NotificationTarget,
    PaperVersion,
    Term,
    TermStatus,
    User,
)
from app.models.base import utcnow
from app.notifications import mailing, queries, settings

# A thread's participants: who wrote its root or a reply still in it.
TAKING_PART = (AnnotationStatus.PUBLISHED, AnnotationStatus.PENDING, AnnotationStatus.HIDDEN)
# Who commented on a paper, for news of its next version.
COMMENTED = (AnnotationStatus.PUBLISHED, AnnotationStatus.HIDDEN)
# What moderators decide that an author hears of ("kept published" changes nothing for them).
TOLD_ACTIONS = ("approve", "reject", "hide", "restore")
TARGETS = {
    "annotation": NotificationTarget.ANNOTATION,
    "proposal": NotificationTarget.PROPOSAL,
    "comment": NotificationTarget.COMMENT,
    "term": NotificationTarget.TERM,
}


def contribution_published(item: Any) -> list[Notification]:
    """A thread, reply or definition proposal is out in the open: tell the thread's
    participants and those who follow where it stands."""
    if isinstance(item, Annotation):
        return _annotation_published(item)
    if isinstance(item, DefinitionProposal):
        return _proposal_published(item)
    return []


# Asked on every new contribution, so built once (building a statement costs more than
# running these): a thread's participants but the new reply, and who follows its place.
_THREAD = bindparam("root_id")
_PARTICIPANTS = (
    select(Annotation.author_id)
    .where(
        or_(Annotation.id == _THREAD, Annotation.root_id == _THREAD),
        Annotation.id != bindparam("annotation_id"),
        Annotation.status.in_(TAKING_PART),
    )
    .distinct()
)
_FOLLOWERS = (
    select(Follow.user_id)
    .where(
        Follow.paper_id == bindparam("paper_id"),
        or_(
            Follow.target_type == FollowTarget.PAPER,
            and_(
                Follow.target_type == FollowTarget.SECTION,
                Follow.section_key == bindparam("section_key"),
            ),
        ),
    )
    .distinct()
)


def _restricted(user_id: int) -> bool:
    author = db.session.get(User, user_id)
    return author is None or author.restricted_at is not None


def _annotation_published(annotation: Annotation) -> list[Notification]:
    if annotation.status is not AnnotationStatus.PUBLISHED or _restricted(annotation.author_id):
        return []
    recipients: dict[int, NotificationKind] = {}
    if annotation.root_id is not None:
        thread = {"root_id": annotation.root_id, "annotation_id": annotation.id}
        for user_id in db.session.scalars(_PARTICIPANTS, thread):
            recipients[user_id] = NotificationKind.REPLY
    place = {"paper_id": annotation.paper_id, "section_key": annotation.section_key}
    for user_id in db.session.scalars(_FOLLOWERS, place):
        recipients.setdefault(user_id, NotificationKind.FOLLOWED)
    return _notify(recipients, annotation.author_id, NotificationTarget.ANNOTATION, annotation.id)


def _proposal_published(proposal: DefinitionProposal) -> list[Notification]:
    term = db.session.get(Term, proposal.term_id)
    if term is None or term.status is not TermStatus.PUBLISHED or _restricted(proposal.author_id):
        return []
    followers = select(Follow.user_id).where(
        Follow.target_type == FollowTarget.TERM, Follow.term_id == term.id
    )
    recipients = dict.fromkeys(db.session.scalars(followers.distinct()), NotificationKind.FOLLOWED)
    return _notify(recipients, proposal.author_id, NotificationTarget.PROPOSAL, proposal.id)


def thread_answered(editor: User, root: Annotation, disposition: Disposition) -> list[Notification]:
    """The editors answered a thread: tell its author, with the answer's outcome."""
    return _notify({root.author_id: NotificationKind.ANSWER}, editor.id,
                   NotificationTarget.ANNOTATION, root.id,
                   action=disposition.outcome.value)  # fmt: skip


def decision_made(
    moderator: User | None, kind: str, item: Any, action: str, old: str, new: str
) -> list[Notification]:
    """A moderator decided on content: tell its author (without naming the moderator, as
    the author's own record does not); content that is now out for the first time (approved,
    or restored after a rejection) then notifies as if just published."""
    made: list[Notification] = []
    target = TARGETS.get(str(kind))
    if target is None:
        return made
    if action in TOLD_ACTIONS and moderator is not None and moderator.id != item.author_id:
        made += _notify({item.author_id: NotificationKind.MODERATION}, None, target, item.id,
                        action=action, skip=moderator.id)  # fmt: skip
    if new == "published" and old in ("pending", "rejected"):
        made += contribution_published(item)
    return made


def version_published(version: PaperVersion, publisher: User | None) -> list[Notification]:
    """A new version of a paper: tell who commented on an earlier one, and the paper's
    followers."""
    recipients: dict[int, NotificationKind] = {}
    commenters = select(Annotation.author_id).where(
        Annotation.paper_id == version.paper_id,
        Annotation.version_id != version.id,
        Annotation.status.in_(COMMENTED),
    )
    for user_id in db.session.scalars(commenters.distinct()):
        recipients[user_id] = NotificationKind.NEW_VERSION
    followers = select(Follow.user_id).where(
        Follow.paper_id == version.paper_id, Follow.target_type == FollowTarget.PAPER
    )
    for user_id in db.session.scalars(followers.distinct()):
        recipients.setdefault(user_id, NotificationKind.FOLLOWED)
    return _notify(recipients, publisher.id if publisher else None, NotificationTarget.VERSION,
                   version.id)  # fmt: skip


def _notify(
    recipients: dict[int, NotificationKind],
    actor_id: int | None,
    target: NotificationTarget,
    target_id: int,
    *,
    action: str | None = None,
    skip: int | None = None,
) -> list[Notification]:
    """Store one notification per recipient (never the actor), and queue the e-mail of
    those who want it at once."""
    for left_out in (actor_id, skip):
        recipients.pop(left_out, None)  # type: ignore[arg-type]
    if not recipients:
        return []
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_(recipients), User.anonymised_at.is_(None))
        )
    }
    chosen = settings.deliveries(users)
    now = utcnow()
    made, immediate = [], []
    for user_id, user in users.items():
        kind = recipients[user_id]
        delivery = chosen.get((user_id, kind), settings.DEFAULTS[kind])
        notification = Notification(
            user_id=user_id,
            kind=kind,
            actor_id=actor_id,
            target_type=target,
            target_id=target_id,
            action=action,
            created_at=now,
            digest_due=delivery is Delivery.DIGEST,
        )
        db.session.add(notification)
        made.append(notification)
        if delivery is Delivery.IMMEDIATE and mailing.mailable(user):
            immediate.append((user, notification))
    db.session.flush()
    if immediate:
        loaded = queries.load([n for _user, n in immediate])
        for user, notification in immediate:
            with in_language_of(user):  # the item's words are the mail's
                item = queries.describe(notification, loaded, user)
            if item.available:
                mailing.send_now(user, item)
                notification.mailed_at = now
        db.session.flush()
    return made
