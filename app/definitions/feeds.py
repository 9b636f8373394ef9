"""The Atom feed of a glossary term: new public proposals, comments on them, and the
adoption of a definition.

As for a paper's feeds, it shows what an anonymous reader sees (never pending, hidden or
rejected contributions, nor those of restricted accounts), in a fixed number of queries.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import atom
from app.core.i18n import gettext as _
from app.core.urls import absolute_url, site_origin
from app.definitions.queries import visible_comments, visible_proposals, visible_terms
from app.extensions import db
from app.models import DefinitionProposal, ProposalComment, Term

# The newest entries the feed holds.
FEED_LENGTH = 50


def public_term(slug: str) -> Term | None:
    """The term `slug` if anyone may read it: one query."""
    return db.session.scalar(select(Term).where(Term.slug == slug, visible_terms(None)))


def _proposals(term: Term) -> list[DefinitionProposal]:
    """The term's public proposals, newest first, with their authors: two queries."""
    return list(
        db.session.scalars(
            select(DefinitionProposal)
            .where(DefinitionProposal.term_id == term.id, visible_proposals(None))
            .options(selectinload(DefinitionProposal.author))
            .order_by(DefinitionProposal.created_at.desc(), DefinitionProposal.id.desc())
        )
    )


def _comments(term: Term) -> list[ProposalComment]:
    """The newest public comments on the term's public proposals, with their authors: two
    queries."""
    shown = select(DefinitionProposal.id).where(
        DefinitionProposal.term_id == term.id, visible_proposals(None)
    )
    return list(
        db.session.scalars(
            select(ProposalComment)
            .where(ProposalComment.proposal_id.in_(shown), visible_comments(None))
            .options(selectinload(ProposalComment.author))
            .order_by(ProposalComment.created_at.desc(), ProposalComment.id.desc())
            .limit(FEED_LENGTH)
        )
    )


def term_feed(term: Term) -> atom.Feed:
    """The term's feed, newest first."""
    host = urlsplit(site_origin()).netloc

    def link(anchor: str) -> str:
        return absolute_url("definitions.term", slug=term.slug, _anchor=anchor)

    entries: list[atom.Entry] = []
    for proposal in _proposals(term):
        name = proposal.author.display_name
        # Both are stored sanitised; the rationale follows the definition.
        body = proposal.text_html + (proposal.rationale_html or "")
        entries.append(
            atom.Entry(
                id=atom.tag_id(host, "proposal", proposal.id),
                title=_("Definition of %(term)s proposed by %(name)s", term=term.label, name=name),
                link=link(f"proposal-{proposal.id}"),
                author=name,
                published=proposal.created_at,
                content_html=body,
                language=proposal.language,
            )
        )
        if proposal.adopted_at is not None:
            entries.append(
                atom.Entry(
                    id=atom.tag_id(host, "proposal", proposal.id, "adoption"),
                    title=_("Definition of %(term)s adopted", term=term.label),
                    link=link(f"proposal-{proposal.id}"),
                    author=name,
                    published=proposal.adopted_at,
                    content_html=proposal.definition_html,
                    language=proposal.language,
                )
            )
    for comment in _comments(term):
        name = comment.author.display_name
        entries.append(
            atom.Entry(
                id=atom.tag_id(host, "proposal-comment", comment.id),
                title=_("Comment by %(name)s on %(term)s", name=name, term=term.label),
                link=link(f"comment-{comment.id}"),
                author=name,
                published=comment.created_at,
                content_html=comment.body_html,
                language=comment.language,
            )
        )
    entries.sort(key=lambda e: (e.published, e.id), reverse=True)
    return atom.Feed(
        id=atom.tag_id(host, "term", term.id),
        title=_("%(term)s: proposals, comments and adoptions", term=term.label),
        self_link=absolute_url("definitions.term_feed", slug=term.slug),
        link=absolute_url("definitions.term", slug=term.slug),
        fallback_updated=term.created_at,
        entries=entries[:FEED_LENGTH],
    )
