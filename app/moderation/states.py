"""The states moderation speaks of, shared by every kind of content and by accounts.

Each moderated kind has its own status enum (`AnnotationStatus`, `TermStatus`,
`ProposalStatus`, `CommentStatus`); all of them have the members PENDING, PUBLISHED,
HIDDEN and REJECTED, and some have more of their own (a proposal is adopted, an
annotation deleted). `ModerationState` names those four once: `ModerationState.of(status)`
is the shared state of a kind's status (None for one of its own), and
`ModerationState.PUBLISHED.of_kind(TermStatus)` the kind's member for a shared state.
The registry of moderated kinds (`app.moderation.targets`) checks that every status
enum has the four members.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from app.models import (
    AnnotationStatus,
    CommentStatus,
    ProposalStatus,
    TermStatus,
)

# The status enum of one moderated kind.
Status = TypeVar("Status", AnnotationStatus, TermStatus, ProposalStatus, CommentStatus)


class ModerationState(enum.StrEnum):
    """Where a contribution stands for moderation, whatever its kind."""

    PENDING = "pending"  # awaiting a moderator (pre-moderation)
    PUBLISHED = "published"
    HIDDEN = "hidden"  # by a moderator, or after flags
    REJECTED = "rejected"

    @classmethod
    def of(cls, status: enum.Enum) -> ModerationState | None:
        """The shared state of a kind's status; None for a status of the kind's own."""
        return cls.__members__.get(status.name)

    def of_kind(self, status_enum: type[Status]) -> Status:
        """This state as a member of a kind's status enum."""
        return status_enum[self.name]


class AccountState(enum.StrEnum):
    """Where an account stands for moderation."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    RESTRICTED = "restricted"


def is_published(item) -> bool:
    """Whether a contribution of any moderated kind is published."""
    return ModerationState.of(item.status) is ModerationState.PUBLISHED


def is_pending(item) -> bool:
    """Whether a contribution of any moderated kind awaits a moderator."""
    return ModerationState.of(item.status) is ModerationState.PENDING


def is_held(item) -> bool:
    """Whether a contribution is not out in the open: awaiting a moderator, or hidden or
    rejected by one (or hidden after flags). What is added to it is held with it: a new
    reply, proposal or comment in it waits for a moderator whoever writes it."""
    return ModerationState.of(item.status) in (
        ModerationState.PENDING,
        ModerationState.HIDDEN,
        ModerationState.REJECTED,
    )


def is_deleted(item) -> bool:
    """Whether an annotation or a comment on a proposal was deleted by its author."""
    return item.status is AnnotationStatus.DELETED or item.status is CommentStatus.DELETED


def is_gone(item) -> bool:
    """Rejected or deleted: nothing of it is shown in its place."""
    return ModerationState.of(item.status) is ModerationState.REJECTED or is_deleted(item)


def is_approved(status: enum.Enum) -> bool:
    """Whether a status means a moderator (or pre-moderation) let the contribution out and
    nothing took it back: published, and for a definition proposal also adopted by the
    editors or adopted once and superseded since. A withdrawn proposal is not counted (it
    may be withdrawn while still pending), nor one an editor rejected."""
    return (
        ModerationState.of(status) is ModerationState.PUBLISHED
        or status is ProposalStatus.ADOPTED
        or status is ProposalStatus.SUPERSEDED
    )


class QueueFilter(enum.StrEnum):
    """What the moderation queue shows: everything waiting, what awaits review, what was
    flagged."""

    ALL = "all"
    PENDING = "pending"
    FLAGGED = "flagged"
