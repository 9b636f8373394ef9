"""What can be moderated: one registry, so every kind of content shares one mechanism.

A moderatable model has `id`, `author_id`, `created_at` and a `status` enum whose
values include pending, published, hidden and rejected. Annotations are registered
here; definition proposals and terms register the same way.
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


@dataclass(frozen=True)
class ContentType:
    kind: TargetKind
    model: Any
    status_enum: Any
    label: Any  # a lazy string: "annotation"


CONTENT_TYPES: dict[TargetKind, ContentType] = {}


def register(content_type: ContentType) -> None:
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
