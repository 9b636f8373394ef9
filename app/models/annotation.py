"""Annotations: threads in the margin of a paper version, and their edit history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.paper import Paper, PaperVersion
from app.models.user import User


class AnnotationKind(enum.StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    OBJECTION = "objection"
    SUGGESTION = "suggestion"


class AnnotationStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    DELETED = "deleted"


class TargetType(enum.StrEnum):
    """What a root annotation is about: a whole section, a paragraph, or a passage."""

    SECTION = "section"
    PARAGRAPH = "paragraph"
    PASSAGE = "passage"


class Annotation(Base):
    """A root annotation (a thread) or a reply to one.

    Roots carry their target: the section key and, for paragraphs and passages, a
    W3C quote selector (exact text with 32 characters of context on each side) and
    a position selector (code-point offsets in the section's `text`).
    """

    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_annotations_version_id_section_key", "version_id", "section_key"),
        Index("ix_annotations_root_id_created_at", "root_id", "created_at"),
        # The roots placed on a version in the order of their sections' text, with what
        # their visibility needs: the margin's counts and first threads read the index alone.
        Index(
            "ix_annotations_placed",
            "version_id",
            "parent_id",
            "section_key",
            "quote_start",
            "quote_end",
            "status",
            "author_id",
        ),
        # A thread's visible replies, counted from the index alone.
        Index("ix_annotations_root_id_status_author_id", "root_id", "status", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    root_id: Mapped[int | None] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    depth: Mapped[int] = mapped_column(Integer, default=0)

    kind: Mapped[AnnotationKind] = mapped_column(
        enum_column(AnnotationKind, "annotation_kind"), default=AnnotationKind.COMMENT
    )
    status: Mapped[AnnotationStatus] = mapped_column(
        enum_column(AnnotationStatus, "annotation_status"), default=AnnotationStatus.PUBLISHED
    )
    target: Mapped[TargetType] = mapped_column(
        enum_column(TargetType, "annotation_target"), default=TargetType.SECTION
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # The BCP 47 primary tag of the language it is written in (app.core.languages).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # A suggestion's proposed wording for the quoted passage, and its word-level
    # change against the quote as [[op, text], ...] (op -1 deleted, 0 kept, 1 inserted).
    proposed_text: Mapped[str | None] = mapped_column(Text)
    proposed_diff: Mapped[list[Any] | None] = mapped_column(JSON)

    quote_exact: Mapped[str | None] = mapped_column(Text)
    quote_prefix: Mapped[str | None] = mapped_column(Text)
    quote_suffix: Mapped[str | None] = mapped_column(Text)
    quote_start: Mapped[int | None] = mapped_column(Integer)
    quote_end: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(lazy="raise")
    paper: Mapped[Paper] = relationship(lazy="raise")
    version: Mapped[PaperVersion] = relationship(lazy="raise")
    revisions: Mapped[list[AnnotationRevision]] = relationship(
        back_populates="annotation",
        order_by="AnnotationRevision.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def thread_id(self) -> int:
        return self.root_id or self.id

    @property
    def is_suggestion(self) -> bool:
        """A thread that proposes new wording for its quote (replies never do)."""
        return self.kind is AnnotationKind.SUGGESTION and self.is_root

    @property
    def has_quote(self) -> bool:
        return self.quote_exact is not None


class AnnotationRevision(Base):
    """What an annotation said before an edit: history is appended, never rewritten."""

    __tablename__ = "annotation_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    annotation: Mapped[Annotation] = relationship(back_populates="revisions")


class AnchorStatus(enum.StrEnum):
    """How a thread was carried into a later version."""

    EXACT = "exact"  # its words, in its own section
    MOVED = "moved"  # its words, in another section
    FUZZY = "fuzzy"  # words close enough to its own (a minimum similarity is required)
    # A suggestion whose proposed wording (word for word, or close to it) now stands where
    # its quote stood: it is placed on those new words.
    APPLIED = "applied"
    ORPHANED = "orphaned"  # nowhere: kept as a comment on earlier text


class Anchor(Base):
    """Where a root annotation stands in a version later than its own, computed once when
    that version is published. `section_key` is empty when the annotation's section is
    gone; `start`/`end`/`exact` are empty for orphans and for whole-section comments."""

    __tablename__ = "anchors"
    __table_args__ = (
        UniqueConstraint("annotation_id", "version_id"),
        Index("ix_anchors_version_id_section_key", "version_id", "section_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("paper_versions.id", ondelete="CASCADE"))
    section_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[AnchorStatus] = mapped_column(enum_column(AnchorStatus, "anchor_status"))
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    exact: Mapped[str | None] = mapped_column(Text)
    # Similarity of the placed words to the annotation's own, 0–1 (1 for exact and moved);
    # for an applied suggestion, to the wording it proposed (1 when taken word for word).
    score: Mapped[float | None] = mapped_column(Float)

    annotation: Mapped[Annotation] = relationship(lazy="raise")


class DispositionOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"


class Disposition(Base):
    """An editor's answer to a thread. Answers are appended: the latest is the current one,
    earlier ones stay as its history."""

    __tablename__ = "dispositions"
    __table_args__ = (Index("ix_dispositions_annotation_id_id", "annotation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    # The version that answers the thread (usually the next one), when there is one yet.
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper_versions.id", ondelete="SET NULL")
    )
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[DispositionOutcome] = mapped_column(
        enum_column(DispositionOutcome, "disposition_outcome")
    )
    response: Mapped[str] = mapped_column(Text, default="")
    response_html: Mapped[str] = mapped_column(Text, default="")
    # The BCP 47 primary tag of the language it is written in (app.core.languages).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    annotation: Mapped[Annotation] = relationship(lazy="raise")
    editor: Mapped[User | None] = relationship(lazy="raise")
    version: Mapped[PaperVersion | None] = relationship(lazy="raise")
