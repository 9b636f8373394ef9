"""The glossary: terms, definitions proposed for them, votes, and the discussion of each
proposal.

Terms, proposals and proposal comments are moderated like annotations: each has an
`author_id`, a `created_at` and a `status` whose values include pending, published, hidden
and rejected (see app/moderation/targets.py).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.user import User


class TermStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REJECTED = "rejected"


class Term(Base):
    """A key term of the papers. `label_key` (the label case-folded) keeps labels unique
    whatever their case; `aliases` are variants and plurals found in the text too."""

    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    label_key: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[TermStatus] = mapped_column(
        enum_column(TermStatus, "term_status"), default=TermStatus.PUBLISHED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(lazy="raise")


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"  # awaiting a moderator (pre-moderation)
    PUBLISHED = "published"  # open: people vote and discuss
    ADOPTED = "adopted"  # the term's definition
    SUPERSEDED = "superseded"  # adopted once, replaced by a later adoption
    REJECTED = "rejected"  # by a moderator or an editor, with a reason
    WITHDRAWN = "withdrawn"  # by its author
    HIDDEN = "hidden"  # by a moderator, or after flags


class DefinitionProposal(Base):
    """A proposed definition of a term, with its rationale or source.

    When an editor adopts it, possibly edited, the adopted wording is kept beside the
    proposal as written (`adopted_text`), and the author stays credited.
    """

    __tablename__ = "definition_proposals"
    __table_args__ = (Index("ix_definition_proposals_term_id_status", "term_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    rationale_html: Mapped[str] = mapped_column(Text, default="")
    # The BCP 47 primary tag of the language it is written in (app.core.languages).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status"), default=ProposalStatus.PUBLISHED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Adoption: the wording adopted (None: as proposed), by whom, when; and when a later
    # adoption superseded it.
    adopted_text: Mapped[str | None] = mapped_column(Text)
    adopted_html: Mapped[str | None] = mapped_column(Text)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An editor's reason for rejecting it (a moderator's is in the moderation log).
    editor_reason: Mapped[str | None] = mapped_column(Text)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    oppose_count: Mapped[int] = mapped_column(Integer, default=0)

    term: Mapped[Term] = relationship(lazy="raise")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")
    adopted_by: Mapped[User | None] = relationship(foreign_keys=[adopted_by_id], lazy="raise")

    @property
    def definition_html(self) -> str:
        """What the glossary shows as the definition: the adopted wording, else the text."""
        return self.adopted_html or self.text_html


class VoteStance(enum.StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"


class Vote(Base):
    """One account's stance on one proposal; changeable, never on one's own proposal."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("definition_proposals.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stance: Mapped[VoteStance] = mapped_column(enum_column(VoteStance, "vote_stance"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    DELETED = "deleted"


class ProposalComment(Base):
    """A contribution to the discussion of a proposal: for or against, a question, a source.

    Comments form one thread per proposal; a reply names the comment it answers.
    """

    __tablename__ = "proposal_comments"
    __table_args__ = (Index("ix_proposal_comments_proposal_id_id", "proposal_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("definition_proposals.id", ondelete="CASCADE")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal_comments.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # The BCP 47 primary tag of the language it is written in (app.core.languages).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    status: Mapped[CommentStatus] = mapped_column(
        enum_column(CommentStatus, "comment_status"), default=CommentStatus.PUBLISHED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship(lazy="raise")
    proposal: Mapped[DefinitionProposal] = relationship(lazy="raise")
