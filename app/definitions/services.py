"""The rules of the glossary: who may start a term, propose, vote, discuss, withdraw, adopt
and reject — and within which limits.

Services add and flush; the request's boundary commits once. Every failure is a `DefinitionError`
with a machine-readable code, a message for people, the field at fault and the HTTP
status the API answers with. What new accounts contribute starts pending, exactly as
annotations do (`app.moderation.services.initial_status`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.core.errors import ServiceError
from app.core.languages import chosen_language
from app.core.markdown import render_markdown
from app.core.permissions import can_adopt, can_annotate, is_author
from app.extensions import db
from app.models import DefinitionProposal, ProposalComment, Term, User, Vote
from app.models.base import utcnow
from app.models.definitions import CommentStatus, ProposalStatus, TermStatus, VoteStance
from app.models.limits import column_length
from app.moderation.services import initial_status
from app.notifications import events as notifications

# A label is stored as given and case-folded ("ß" folds to "ss"): both must fit.
MAX_LABEL_LENGTH = column_length(Term, "label")
MAX_LABEL_KEY_LENGTH = column_length(Term, "label_key")
MAX_DEFINITION_LENGTH = 5_000
MAX_RATIONALE_LENGTH = 5_000
MAX_COMMENT_LENGTH = 10_000
MAX_ALIASES = 20
MAX_REASON_LENGTH = 2_000
MAX_LINKS = 20

OPEN = ProposalStatus.PUBLISHED
# Proposals that say something about the term, in the order the glossary cares about.
LIVE_STATUSES = (ProposalStatus.ADOPTED, ProposalStatus.PUBLISHED)


class DefinitionError(ServiceError):
    """A rule was broken; nothing was stored."""


# --- labels and aliases -------------------------------------------------------------------


def _too_long(field: str, limit: int, given: int) -> DefinitionError:
    return DefinitionError(
        f"At most {limit:,} characters ({given:,} given).", code="too_long", field=field
    )


def clean_label(value: Any, field: str = "label") -> str:
    """A term's label or alias: text on one line, spaces collapsed, at most as long as
    its column (case-folded too)."""
    if not isinstance(value, str):
        raise DefinitionError("Give the term as text.", field=field)
    label = " ".join(unicodedata.normalize("NFC", value).split())
    if not label:
        raise DefinitionError("Name the term.", code="empty", field=field)
    if len(label) > MAX_LABEL_LENGTH:
        raise _too_long(field, MAX_LABEL_LENGTH, len(label))
    if len(label_key(label)) > MAX_LABEL_KEY_LENGTH:
        raise DefinitionError(
            f"Too long: compared without case (ß as ss), it takes {len(label_key(label)):,} "
            f"characters; at most {MAX_LABEL_KEY_LENGTH:,}.",
            code="too_long",
            field=field,
        )
    if not re.search(r"\w", label):
        raise DefinitionError("A term needs at least one letter or digit.", field=field)
    return label


def label_key(label: str) -> str:
    """What makes two labels the same term: case and spacing aside."""
    return " ".join(label.casefold().split())


def slug_for(label: str) -> str:
    """A URL slug, ASCII where it can be ("e-Government" → "e-government")."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^\w\s-]", "", (ascii_label or label).lower())
    slug = re.sub(r"[\s_-]+", "-", slug).strip("-")
    return slug[:100] or "term"


# Paths under /glossary/ that are pages of their own, not terms.
RESERVED_SLUGS = frozenset({"new", "flag"})


def _unique_slug(label: str) -> str:
    base = slug_for(label)
    taken = set(db.session.scalars(select(Term.slug).where(Term.slug.like(f"{base}%"))))
    taken |= RESERVED_SLUGS
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def names_in_use(except_term: Term | None = None) -> dict[str, Term]:
    """Every label and alias already naming a term (case-folded), and its term."""
    query = select(Term).where(Term.status != TermStatus.REJECTED)
    if except_term is not None:
        query = query.where(Term.id != except_term.id)
    names: dict[str, Term] = {}
    for term in db.session.scalars(query):
        names[term.label_key] = term
        for alias in term.aliases or []:
            names[label_key(alias)] = term
    return names


def _refuse_taken(names: list[str], except_term: Term | None, field: str) -> None:
    in_use = names_in_use(except_term)
    for name in names:
        other = in_use.get(label_key(name))
        if other is not None:
            raise DefinitionError(
                f"“{name}” already names the term “{other.label}”.",
                code="duplicate",
                field=field,
                status=409,
            )


def clean_aliases(values: Any, label: str) -> list[str]:
    """Aliases: distinct, none the same as the label, at most 20."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise DefinitionError("Give the aliases as a list.", field="aliases")
    aliases: list[str] = []
    seen = {label_key(label)}
    for value in values:
        alias = clean_label(value, "aliases")
        if label_key(alias) in seen:
            continue
        seen.add(label_key(alias))
        aliases.append(alias)
    if len(aliases) > MAX_ALIASES:
        raise DefinitionError(f"At most {MAX_ALIASES} aliases.", code="too_long", field="aliases")
    return aliases


# --- text -------------------------------------------------------------------------------


def _markdown(value: Any, field: str, limit: int, *, required: bool) -> tuple[str, str]:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DefinitionError("Give text.", field=field)
    if not value.strip():
        if required:
            raise DefinitionError("Write something first.", code="empty", field=field)
        return "", ""
    if len(value) > limit:
        raise _too_long(field, limit, len(value))
    html = render_markdown(value)
    links = len(re.findall(r"<a\s", html))
    if links > MAX_LINKS:
        raise DefinitionError(
            f"At most {MAX_LINKS} links ({links} given).", code="too_many_links", field=field
        )
    return value, html


def _check_participant(user: User) -> None:
    if not can_annotate(user):
        raise DefinitionError(
            "Log in with a confirmed account to take part.", code="forbidden", status=403
        )


def _check_term_open(user: User, term: Term) -> None:
    """Proposals go to published terms (or to one's own term while it awaits review)."""
    if term.status is TermStatus.PUBLISHED:
        return
    if term.status is TermStatus.PENDING and term.author_id == user.id:
        return
    raise DefinitionError(
        "This term is not open for proposals.", code="term_unavailable", status=409
    )


# --- terms and proposals ----------------------------------------------------------------


def create_term(
    author: User,
    label: Any,
    *,
    aliases: Any = None,
    definition: Any = None,
    rationale: Any = None,
    language: Any = None,
) -> tuple[Term, DefinitionProposal | None]:
    """Start a term (with a first proposal when a definition is given: `None` means none;
    a blank one is refused, like any empty definition)."""
    _check_participant(author)
    label = clean_label(label)
    aliases = clean_aliases(aliases, label)
    _refuse_taken([label, *aliases], None, "label")
    now = utcnow()
    term = Term(
        label=label,
        label_key=label_key(label),
        slug=_unique_slug(label),
        aliases=aliases,
        author_id=author.id,
        status=initial_status(author, TermStatus),
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(term)
    except IntegrityError:  # the same label, a moment ago
        raise DefinitionError(
            f"“{label}” is already a term.", code="duplicate", field="label", status=409
        ) from None
    proposal = None
    if definition is not None:
        proposal = propose(author, term, definition, rationale, language=language)
    elif rationale:
        raise DefinitionError("A rationale goes with a definition.", field="rationale")
    return term, proposal


def propose(
    author: User, term: Term, text: Any, rationale: Any = None, *, language: Any = None
) -> DefinitionProposal:
    """Propose a definition of a term, with its rationale or source, in a language
    (its tag; default: the interface's)."""
    _check_participant(author)
    _check_term_open(author, term)
    text, text_html = _markdown(text, "text", MAX_DEFINITION_LENGTH, required=True)
    rationale, rationale_html = _markdown(
        rationale, "rationale", MAX_RATIONALE_LENGTH, required=False
    )
    language = chosen_language(language, DefinitionError)
    now = utcnow()
    proposal = DefinitionProposal(
        term_id=term.id,
        author_id=author.id,
        text=text,
        text_html=text_html,
        rationale=rationale,
        rationale_html=rationale_html,
        language=language,
        # On a term that awaits review, a proposal waits too, whoever makes it.
        status=initial_status(author, ProposalStatus, within=(term,)),
        created_at=now,
        updated_at=now,
        support_count=0,
        oppose_count=0,
    )
    db.session.add(proposal)
    db.session.flush()
    notifications.contribution_published(proposal)
    return proposal


def set_aliases(editor: User, term: Term, aliases: Any) -> Term:
    """Editors manage a term's variants and plurals."""
    if not can_adopt(editor):
        raise DefinitionError("Only editors manage aliases.", code="forbidden", status=403)
    cleaned = clean_aliases(aliases, term.label)
    _refuse_taken(cleaned, term, "aliases")
    term.aliases = cleaned
    term.updated_at = utcnow()
    db.session.flush()
    return term


# --- votes ------------------------------------------------------------------------------


def _stance(value: Any) -> VoteStance:
    try:
        return VoteStance(value)
    except ValueError:
        raise DefinitionError("Choose support or oppose.", field="stance") from None


def _check_votable(user: User, proposal: DefinitionProposal) -> None:
    _check_participant(user)
    if proposal.author_id == user.id:
        raise DefinitionError(
            "You cannot vote on your own proposal.", code="own_proposal", status=403
        )
    if proposal.status is not OPEN:
        raise DefinitionError(
            f"This proposal is {proposal.status.value}; votes are closed.",
            code="closed",
            status=409,
        )


def vote(user: User, proposal: DefinitionProposal, stance: Any) -> Vote:
    """Support or oppose a proposal: one vote per account, which it may change.

    Two requests at once from one account still leave one vote: the second insert
    fails on the unique constraint and becomes an update.
    """
    stance = _stance(stance)
    _check_votable(user, proposal)
    now = utcnow()
    existing = _vote_of(user, proposal)
    if existing is None:
        try:
            with db.session.begin_nested():
                existing = Vote(proposal_id=proposal.id, user_id=user.id, stance=stance)
                existing.created_at = existing.updated_at = now
                db.session.add(existing)
        except IntegrityError:
            existing = _vote_of(user, proposal)
    if existing.stance is not stance:
        existing.stance, existing.updated_at = stance, now
    db.session.flush()
    _recount(proposal)
    return existing


def withdraw_vote(user: User, proposal: DefinitionProposal) -> bool:
    """Take one's vote back while the proposal is open; True when there was one."""
    _check_participant(user)
    if proposal.status is not OPEN:
        raise DefinitionError(
            f"This proposal is {proposal.status.value}; votes are closed.",
            code="closed",
            status=409,
        )
    existing = _vote_of(user, proposal)
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    _recount(proposal)
    return True


def _vote_of(user: User, proposal: DefinitionProposal) -> Vote | None:
    return db.session.scalar(
        select(Vote).where(Vote.proposal_id == proposal.id, Vote.user_id == user.id)
    )


def _recount(proposal: DefinitionProposal) -> None:
    """Keep the proposal's counts (used for sorting) equal to its votes."""
    counts = dict(
        db.session.execute(
            select(Vote.stance, func.count(Vote.id))
            .where(Vote.proposal_id == proposal.id)
            .group_by(Vote.stance)
        ).all()
    )
    db.session.execute(
        update(DefinitionProposal)
        .where(DefinitionProposal.id == proposal.id)
        .values(
            support_count=counts.get(VoteStance.SUPPORT, 0),
            oppose_count=counts.get(VoteStance.OPPOSE, 0),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(proposal, ["support_count", "oppose_count"])


# --- the author's and the editors' decisions ---------------------------------------------


def withdraw(user: User, proposal: DefinitionProposal) -> DefinitionProposal:
    """An author withdraws their own proposal while it is open or awaits review.

    An open proposal stays on the term's page, marked withdrawn. One that awaits review
    was never shown to others, and a withdrawal must not show it now: it is removed,
    with its discussion (only its author could comment on it). The proposal returned
    then says "withdrawn" but is no longer stored.
    """
    if not is_author(user, proposal):
        raise DefinitionError(
            "Only its author can withdraw a proposal.", code="forbidden", status=403
        )
    if proposal.status not in (ProposalStatus.PENDING, OPEN):
        raise DefinitionError(
            f"This proposal is {proposal.status.value}; it can no longer be withdrawn.",
            code="closed",
            status=409,
        )
    pending = proposal.status is ProposalStatus.PENDING
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.updated_at = utcnow()
    if pending:
        db.session.execute(
            ProposalComment.__table__.delete().where(ProposalComment.proposal_id == proposal.id)
        )
        db.session.delete(proposal)
    db.session.flush()
    return proposal


def adopt(editor: User, proposal: DefinitionProposal, text: Any = None) -> DefinitionProposal:
    """Make a proposal the term's definition, as proposed or edited (its author stays
    credited). The definition adopted before it is superseded and stays in the history."""
    if not can_adopt(editor):
        raise DefinitionError("Only editors adopt definitions.", code="forbidden", status=403)
    if proposal.status not in (OPEN, ProposalStatus.SUPERSEDED):
        raise DefinitionError(
            f"This proposal is {proposal.status.value}; only an open proposal (or one "
            "adopted before) can be adopted.",
            code="closed",
            status=409,
        )
    term = db.session.get(Term, proposal.term_id)
    if term is None or term.status is not TermStatus.PUBLISHED:
        raise DefinitionError("The term awaits review.", code="term_unavailable", status=409)
    adopted_text = adopted_html = None
    if text is not None and (not isinstance(text, str) or text.strip()):
        adopted_text, adopted_html = _markdown(text, "text", MAX_DEFINITION_LENGTH, required=True)
        if adopted_text == proposal.text:
            adopted_text = adopted_html = None
    now = utcnow()
    db.session.execute(
        update(DefinitionProposal)
        .where(
            DefinitionProposal.term_id == term.id,
            DefinitionProposal.status == ProposalStatus.ADOPTED,
        )
        .values(status=ProposalStatus.SUPERSEDED, superseded_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    proposal.status = ProposalStatus.ADOPTED
    proposal.adopted_at = proposal.updated_at = now
    proposal.superseded_at = None
    proposal.adopted_by_id = editor.id
    proposal.adopted_text, proposal.adopted_html = adopted_text, adopted_html
    term.updated_at = now
    db.session.flush()
    return proposal


def reject(editor: User, proposal: DefinitionProposal, reason: Any) -> DefinitionProposal:
    """An editor turns an open proposal down, saying why."""
    if not can_adopt(editor):
        raise DefinitionError("Only editors reject definitions.", code="forbidden", status=403)
    if not isinstance(reason, str) or not reason.strip():
        raise DefinitionError("Say why.", code="empty", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise DefinitionError(
            f"At most {MAX_REASON_LENGTH:,} characters.", code="too_long", field="reason"
        )
    if proposal.status is not OPEN:
        raise DefinitionError(
            f"This proposal is {proposal.status.value}; only an open one can be rejected.",
            code="closed",
            status=409,
        )
    proposal.status = ProposalStatus.REJECTED
    proposal.editor_reason = reason.strip()
    proposal.updated_at = utcnow()
    db.session.flush()
    return proposal


# --- discussion -------------------------------------------------------------------------


def comment(
    author: User,
    proposal: DefinitionProposal,
    body: Any,
    parent: ProposalComment | None = None,
    *,
    language: Any = None,
) -> ProposalComment:
    """Say something about a proposal, or answer what someone said about it (in a
    language: its tag, default the interface's)."""
    _check_participant(author)
    if proposal.status in (ProposalStatus.HIDDEN, ProposalStatus.REJECTED) or (
        proposal.status is ProposalStatus.PENDING and proposal.author_id != author.id
    ):
        raise DefinitionError(
            "This proposal takes no comments.", code="proposal_unavailable", status=409
        )
    if parent is not None and (
        parent.proposal_id != proposal.id or parent.status is not CommentStatus.PUBLISHED
    ):
        raise DefinitionError("Answer a comment on this proposal.", field="parent", status=409)
    body, body_html = _markdown(body, "body", MAX_COMMENT_LENGTH, required=True)
    language = chosen_language(language, DefinitionError)
    item = ProposalComment(
        proposal_id=proposal.id,
        author_id=author.id,
        parent_id=parent.id if parent else None,
        body=body,
        body_html=body_html,
        language=language,
        # On a proposal (or under a comment) that is not out in the open, it waits too.
        status=initial_status(author, CommentStatus, within=(proposal, parent)),
        created_at=utcnow(),
    )
    db.session.add(item)
    db.session.flush()
    return item
