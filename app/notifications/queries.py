"""Reading notifications: the list, the unread count, and what each one points at.

A notification holds ids; `describe` turns it into words and a link for one reader,
through the visibility predicates of `app.core.permissions` (the ones the pages use), so
that a contribution hidden or deleted since is shown as "no longer available", with
neither its words nor its author. `load` fetches what a batch of notifications points at
in a fixed number of queries, whatever their number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core.i18n import gettext as _
from app.core.permissions import can_see_annotation, can_see_proposal, is_author, is_moderator
from app.core.urls import absolute_url
from app.extensions import db
from app.models import (
    Annotation,
    CommentStatus,
    DefinitionProposal,
    Follow,
    FollowTarget,
    Notification,
    NotificationKind,
    NotificationTarget,
    Paper,
    PaperVersion,
    ProposalComment,
    Section,
    Term,
    TermStatus,
    User,
)

PER_PAGE = 20
EXCERPT_LENGTH = 200


def unread_count(user: User) -> int:
    """The bell's number: one indexed count."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def own(user: User, notification_id: int) -> Notification | None:
    """One of the account's notifications; None for another's (not found)."""
    found = db.session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user.id else None


@dataclass
class Page:
    items: list[Item]
    total: int
    number: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(user: User, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """A page of the account's notifications, newest first, described for it."""
    number = max(1, number)
    total = (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user.id)
        )
        or 0
    )
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
    )
    loaded = load(rows)
    return Page([describe(n, loaded, user) for n in rows], total, number, per_page)


# --- what notifications point at ----------------------------------------------------------


@dataclass
class Loaded:
    """The rows a batch of notifications points at, by id."""

    annotations: dict[int, Annotation] = field(default_factory=dict)
    sections: dict[tuple[int, str], str] = field(default_factory=dict)
    proposals: dict[int, DefinitionProposal] = field(default_factory=dict)
    comments: dict[int, ProposalComment] = field(default_factory=dict)
    terms: dict[int, Term] = field(default_factory=dict)
    versions: dict[int, PaperVersion] = field(default_factory=dict)
    actors: dict[int, User] = field(default_factory=dict)


def _ids(rows: list[Notification], target: NotificationTarget) -> set[int]:
    return {n.target_id for n in rows if n.target_type is target}


def load(rows: list[Notification]) -> Loaded:
    """Fetch what `rows` point at: at most seven queries, however many rows."""
    found = Loaded()
    if ids := _ids(rows, NotificationTarget.ANNOTATION):
        query = select(Annotation).where(Annotation.id.in_(ids))
        query = query.options(joinedload(Annotation.author), joinedload(Annotation.paper))
        found.annotations = {a.id: a for a in db.session.scalars(query)}
        places = {(a.version_id, a.section_key) for a in found.annotations.values()}
        titles = db.session.execute(
            select(Section.version_id, Section.key, Section.title).where(
                Section.version_id.in_({v for v, _k in places}),
                Section.key.in_({k for _v, k in places}),
            )
        )
        found.sections = {(v, k): title for v, k, title in titles}
    if ids := _ids(rows, NotificationTarget.PROPOSAL):
        query = select(DefinitionProposal).where(DefinitionProposal.id.in_(ids))
        query = query.options(
            joinedload(DefinitionProposal.term), joinedload(DefinitionProposal.author)
        )
        found.proposals = {p.id: p for p in db.session.scalars(query)}
    if ids := _ids(rows, NotificationTarget.COMMENT):
        query = select(ProposalComment).where(ProposalComment.id.in_(ids))
        query = query.options(
            joinedload(ProposalComment.proposal).joinedload(DefinitionProposal.term),
            joinedload(ProposalComment.author),
        )
        found.comments = {c.id: c for c in db.session.scalars(query)}
    if ids := _ids(rows, NotificationTarget.TERM):
        found.terms = {t.id: t for t in db.session.scalars(select(Term).where(Term.id.in_(ids)))}
    if ids := _ids(rows, NotificationTarget.VERSION):
        query = select(PaperVersion).where(PaperVersion.id.in_(ids))
        found.versions = {
            v.id: v for v in db.session.scalars(query.options(joinedload(PaperVersion.paper)))
        }
    if ids := {n.actor_id for n in rows if n.actor_id is not None}:
        found.actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return found


@dataclass
class Item:
    """A notification as one reader sees it: words, and where it leads (None when what it
    pointed at is no longer there for them)."""

    notification: Notification
    headline: str
    place: str = ""
    excerpt: str = ""
    endpoint: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    # The language of the excerpt: a contribution's own (a change note is the paper's).
    language: str = "en"

    @property
    def available(self) -> bool:
        return self.endpoint is not None

    @property
    def kind(self) -> NotificationKind:
        return self.notification.kind

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    def path(self) -> str | None:
        return url_for(self.endpoint, **self.values) if self.endpoint else None

    def absolute(self) -> str | None:
        return absolute_url(self.endpoint, **self.values) if self.endpoint else None


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The first words of a text, on one line."""
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def kind_label(kind: NotificationKind) -> str:
    return {
        NotificationKind.REPLY: _("Replies in your threads"),
        NotificationKind.ANSWER: _("Editors' answers to your threads"),
        NotificationKind.MODERATION: _("Moderators' decisions on your contributions"),
        NotificationKind.NEW_VERSION: _("New versions of papers you commented on"),
        NotificationKind.FOLLOWED: _("New contributions on what you follow"),
    }[kind]


def _decision(action: str | None, what: str) -> str:
    messages = {
        "approve": _("A moderator approved your %(what)s: it is published."),
        "reject": _("A moderator rejected your %(what)s."),
        "hide": _("A moderator hid your %(what)s."),
        "restore": _("A moderator restored your %(what)s: it is published again."),
    }
    message = messages.get(action or "")
    return (
        message % {"what": what}
        if message
        else _("A moderator decided on your %(what)s.") % {"what": what}
    )


def _answer(outcome: str | None) -> str:
    messages = {
        "accepted": _("The editors answered your thread: accepted."),
        "partly_accepted": _("The editors answered your thread: partly accepted."),
        "not_accepted": _("The editors answered your thread: not accepted."),
        "noted": _("The editors answered your thread: noted."),
    }
    return messages.get(outcome or "", _("The editors answered your thread."))


def _unavailable(n: Notification) -> Item:
    return Item(n, _("This contribution is no longer available."))


def _name(loaded: Loaded, n: Notification) -> str:
    actor = loaded.actors.get(n.actor_id) if n.actor_id else None
    return actor.display_name if actor is not None else _("Someone")


def describe(n: Notification, loaded: Loaded, viewer: Any) -> Item:
    """Words and a link for one notification, as `viewer` may see them."""
    target = n.target_type
    if target is NotificationTarget.ANNOTATION:
        return _annotation_item(n, loaded, viewer)
    if target is NotificationTarget.PROPOSAL:
        proposal = loaded.proposals.get(n.target_id)
        if proposal is None or not can_see_proposal(viewer, proposal):
            return _unavailable(n)
        what = _("definition proposal")
        if n.kind is NotificationKind.MODERATION:
            headline = _decision(n.action, what)
        else:
            headline = _("%(name)s proposed a definition of “%(term)s”.",
                         name=_name(loaded, n), term=proposal.term.label)  # fmt: skip
        return Item(n, headline, _("Glossary: %(term)s", term=proposal.term.label),
                    excerpt(proposal.text), "definitions.term",
                    {"slug": proposal.term.slug, "_anchor": f"proposal-{proposal.id}"},
                    language=proposal.language)  # fmt: skip
    if target is NotificationTarget.COMMENT:
        comment = loaded.comments.get(n.target_id)
        if comment is None or not _can_see_comment(viewer, comment):
            return _unavailable(n)
        term = comment.proposal.term
        return Item(n, _decision(n.action, _("comment on a proposal")),
                    _("Glossary: %(term)s", term=term.label), excerpt(comment.body),
                    "definitions.term",
                    {"slug": term.slug, "_anchor": f"proposal-{comment.proposal_id}"},
                    language=comment.language)  # fmt: skip
    if target is NotificationTarget.TERM:
        term = loaded.terms.get(n.target_id)
        if term is None or not _can_see_term(viewer, term):
            return _unavailable(n)
        return Item(n, _decision(n.action, _("term")), _("Glossary: %(term)s", term=term.label),
                    "", "definitions.term", {"slug": term.slug})  # fmt: skip
    version = loaded.versions.get(n.target_id)
    if version is None:
        return _unavailable(n)
    return Item(
        n,
        _(
            "Version %(label)s of “%(paper)s” is published.",
            label=version.label,
            paper=version.paper.display_title,
        ),
        version.paper.display_title,
        excerpt(version.change_note),
        "papers.version",
        {"slug": version.paper.slug, "label": version.label},
    )


def _annotation_item(n: Notification, loaded: Loaded, viewer: Any) -> Item:
    annotation = loaded.annotations.get(n.target_id)
    if annotation is None or not can_see_annotation(viewer, annotation, annotation.author):
        return _unavailable(n)
    section = loaded.sections.get((annotation.version_id, annotation.section_key))
    paper: Paper = annotation.paper
    place = f"{paper.display_title} — {section}" if section else paper.display_title
    is_reply = annotation.parent_id is not None
    name = _name(loaded, n)
    if n.kind is NotificationKind.MODERATION:
        headline = _decision(n.action, _("reply") if is_reply else _("thread"))
    elif n.kind is NotificationKind.ANSWER:
        headline = _answer(n.action)
    elif n.kind is NotificationKind.REPLY:
        headline = _("%(name)s replied in a thread you take part in.", name=name)
    elif is_reply:
        headline = _("%(name)s replied in a thread on what you follow.", name=name)
    else:
        headline = _("%(name)s started a thread on what you follow.", name=name)
    anchor = "disposition" if n.kind is NotificationKind.ANSWER else f"a{annotation.id}"
    return Item(n, headline, place, excerpt(annotation.body), "annotations.thread",
                {"annotation_id": annotation.thread_id, "_anchor": anchor},
                language=annotation.language)  # fmt: skip


def _can_see_comment(viewer: Any, comment: ProposalComment) -> bool:
    if is_author(viewer, comment):
        return comment.status is not CommentStatus.DELETED
    if is_moderator(viewer) and comment.status is CommentStatus.PENDING:
        return True
    return comment.status is CommentStatus.PUBLISHED and comment.author.restricted_at is None


def _can_see_term(viewer: Any, term: Term) -> bool:
    return term.status is TermStatus.PUBLISHED or is_author(viewer, term) or is_moderator(viewer)


# --- follows ------------------------------------------------------------------------------


def follow_keys(user: Any, keys: list[str] | None = None) -> set[str]:
    """Which of `keys` (all when None) the account follows: one query."""
    if not getattr(user, "is_authenticated", False):
        return set()
    query = select(Follow.target_key).where(Follow.user_id == user.id)
    if keys is not None:
        query = query.where(Follow.target_key.in_(keys))
    return set(db.session.scalars(query))


def paper_follows(user: Any, paper: Paper, section_keys: list[str]) -> set[str]:
    """Which of a paper and its sections the reader follows, as follow keys (one query;
    none for visitors)."""
    keys = [f"paper:{paper.id}", *(f"section:{paper.id}:{key}" for key in section_keys)]
    return follow_keys(user, keys)


@dataclass
class Followed:
    follow: Follow
    label: str
    endpoint: str | None
    values: dict[str, Any]


def _section_titles(rows: list[Follow]) -> dict[tuple[int, str], str]:
    """The title each followed section has in the latest version that has it: one query."""
    wanted = [r for r in rows if r.target_type is FollowTarget.SECTION]
    if not wanted:
        return {}
    found = db.session.execute(
        select(PaperVersion.paper_id, Section.key, Section.title)
        .join(PaperVersion, PaperVersion.id == Section.version_id)
        .where(
            PaperVersion.paper_id.in_({r.paper_id for r in wanted}),
            Section.key.in_({r.section_key for r in wanted}),
        )
        .order_by(PaperVersion.sequence)
    )
    return {(paper_id, key): title for paper_id, key, title in found}  # the latest wins


def follows_of(user: User) -> list[Followed]:
    """What an account follows, with names and links: at most four queries."""
    rows = list(
        db.session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id))
    )
    paper_ids = {r.paper_id for r in rows if r.paper_id is not None}
    term_ids = {r.term_id for r in rows if r.term_id is not None}
    papers = (
        {p.id: p for p in db.session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))}
        if paper_ids
        else {}
    )
    terms = (
        {t.id: t for t in db.session.scalars(select(Term).where(Term.id.in_(term_ids)))}
        if term_ids
        else {}
    )
    titles = _section_titles(rows)
    found = []
    for row in rows:
        if row.target_type is FollowTarget.TERM:
            term = terms.get(row.term_id)
            if term is None or not _can_see_term(user, term):
                continue
            label = _("Glossary term “%(term)s”", term=term.label)
            found.append(Followed(row, label, "definitions.term", {"slug": term.slug}))
            continue
        paper = papers.get(row.paper_id)
        if paper is None:
            continue
        if row.target_type is FollowTarget.PAPER:
            label = _("Paper “%(paper)s”", paper=paper.display_title)
            found.append(Followed(row, label, "papers.paper", {"slug": paper.slug}))
            continue
        title = titles.get((paper.id, row.section_key), row.section_key)
        label = _("Section “%(section)s” of “%(paper)s”", section=title, paper=paper.display_title)
        values = {"slug": paper.slug, "_anchor": row.section_key}
        found.append(Followed(row, label, "papers.paper", values))
    return found
