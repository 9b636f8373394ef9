"""What can be moderated: one registry, so every kind of content shares one mechanism.

A moderatable model has `id`, `author_id`, `created_at` and a `status` enum with the
members PENDING, PUBLISHED, HIDDEN and REJECTED (`app.moderation.states`); registering
a kind checks that. Annotations, terms, definition proposals and comments on proposals
are registered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.i18n import lazy_gettext as _l
from app.models import (
    Annotation,
    AnnotationStatus,
    CommentStatus,
    DefinitionProposal,
    ProposalComment,
    ProposalStatus,
    TargetKind,
    Term,
    TermStatus,
)
from app.moderation.states import ModerationState


@dataclass(frozen=True)
class ContentType:
    kind: TargetKind
    model: Any
    status_enum: Any
    label: Any  # a lazy string: "annotation"

    def status(self, state: ModerationState) -> Any:
        """The member of this kind's status enum for a shared moderation state."""
        return state.of_kind(self.status_enum)


CONTENT_TYPES: dict[TargetKind, ContentType] = {}


def register(content_type: ContentType) -> None:
    missing = [
        s.name for s in ModerationState if s.name not in content_type.status_enum.__members__
    ]
    if missing:
        raise TypeError(f"{content_type.status_enum.__name__} lacks {', '.join(missing)}")
    CONTENT_TYPES[content_type.kind] = content_type


def content_type(kind: TargetKind) -> ContentType | None:
    return CONTENT_TYPES.get(kind)


register(ContentType(TargetKind.ANNOTATION, Annotation, AnnotationStatus, _l("annotation")))
register(ContentType(TargetKind.TERM, Term, TermStatus, _l("term")))
register(
    ContentType(TargetKind.PROPOSAL, DefinitionProposal, ProposalStatus, _l("definition proposal"))
)
register(
    ContentType(TargetKind.COMMENT, ProposalComment, CommentStatus, _l("comment on a proposal"))
)
