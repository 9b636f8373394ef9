"""Model → JSON, in the shapes CONTRACT.md promises."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import current_app, request, url_for
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from werkzeug.routing import BuildError

from app.core.permissions import can_read_words, is_author, is_moderator
from app.models import (
    CommentStatus,
    Flag,
    ModerationLog,
    Paper,
    PaperVersion,
    Section,
    TargetKind,
    Term,
    User,
)
from app.models.annotation import Anchor, Annotation, AnnotationStatus, Disposition
from app.moderation import queries as moderation_queries
from app.papers.queries import CommentPeriod

# Statuses about which an annotation's author and moderators are told what was decided.
MODERATED_STATUSES = frozenset(
    {AnnotationStatus.PENDING, AnnotationStatus.HIDDEN, AnnotationStatus.REJECTED}
)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def paper_item(paper: Paper, latest: PaperVersion) -> dict[str, Any]:
    return {
        "slug": paper.slug,
        "title": paper.title,
        "number": paper.number,
        "series": paper.series,
        "latest_version": latest.label,
        "url": url_for("api.paper", slug=paper.slug, _external=True),
    }


def period_json(period: CommentPeriod) -> dict[str, Any]:
    return {
        "opens": period.opens.isoformat() if period.opens else None,
        "closes": period.closes.isoformat() if period.closes else None,
        "state": period.state,
    }


def paper_detail(
    paper: Paper, versions: list[PaperVersion], period: CommentPeriod
) -> dict[str, Any]:
    latest = versions[-1]
    return {
        "slug": paper.slug,
        "title": paper.title,
        "number": paper.number,
        "series": paper.series,
        "authors": latest.authors,
        "editors": latest.editors,
        "latest_version": latest.label,
        "comment_period": period_json(period),
        "versions": [
            {
                "version": v.label,
                "published_at": iso(v.published_at),
                "date": v.date.isoformat() if v.date else None,
                "change_note": v.change_note,
                "url": url_for("api.version", slug=paper.slug, label=v.label, _external=True),
            }
            for v in versions
        ],
        "html_url": url_for("papers.paper", slug=paper.slug, _external=True),
    }


def section_json(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "number": section.number,
        "title": section.title,
        "level": section.level,
        "parent": section.parent_key,
        "position": section.position,
        "text": section.text,
        "html": section.html,
        "notes": [
            {"label": n["label"], "text": n["text"], "html": n["html"]} for n in section.notes
        ],
    }


def version_detail(paper: Paper, version: PaperVersion, sections: list[Section]) -> dict[str, Any]:
    return {
        "paper": paper.slug,
        "version": version.label,
        "title": version.title,
        "authors": version.authors,
        "editors": version.editors,
        "date": version.date.isoformat() if version.date else None,
        "published_at": iso(version.published_at),
        "change_note": version.change_note,
        "acknowledgement": version.acknowledgement,
        "sections": [section_json(s) for s in sections],
        "html_url": url_for("papers.version", slug=paper.slug, label=version.label, _external=True),
    }


# --- annotations ------------------------------------------------------------------------


def annotation_permalink(annotation_id: int) -> str:
    """The thread's page on the site (`/annotations/<id>`, CONTRACT), absolute."""
    if "annotations.thread" in current_app.view_functions:
        try:
            return url_for("annotations.thread", annotation_id=annotation_id, _external=True)
        except BuildError:
            pass
    return f"{request.host_url.rstrip('/')}/annotations/{annotation_id}"


def quote_json(annotation: Annotation) -> dict[str, Any] | None:
    """The W3C quote and position selectors of a root, or None for a whole-section comment."""
    if annotation.quote_exact is None:
        return None
    return {
        "exact": annotation.quote_exact,
        "prefix": annotation.quote_prefix,
        "suffix": annotation.quote_suffix,
        "start": annotation.quote_start,
        "end": annotation.quote_end,
    }


def anchor_json(root: Annotation, version: PaperVersion, anchor: Anchor | None = None):
    """Where a thread stands in the version asked for: where it was made, exactly, on its
    own version; in a later version, where re-anchoring placed it (exact, moved, fuzzy or
    orphaned, when its words are gone)."""
    if anchor is None:
        return {
            "version": version.label,
            "section": root.section_key,
            "start": root.quote_start,
            "end": root.quote_end,
            "exact": root.quote_exact,
            "status": "exact",
        }
    return {
        "version": version.label,
        "section": anchor.section_key,
        "start": anchor.start,
        "end": anchor.end,
        "exact": anchor.exact,
        "status": anchor.status.value,
    }


def author_json(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.display_name}


def annotation_json(
    annotation: Annotation,
    *,
    paper: Paper,
    version: PaperVersion,
    reply_count: int,
    root: Annotation | None = None,
    author: User | None = None,
    decisions: Mapping[int, ModerationLog] | None = None,
    dispositions: Mapping[int, Disposition] | None = None,
    anchor: Anchor | None = None,
    made_on: PaperVersion | None = None,
) -> dict[str, Any]:
    """An annotation in the CONTRACT's shape, with extras (target, edits, suggestion, links).

    `version` is the version asked for. A thread made on it stands there exactly; a
    thread carried into it from an earlier version comes with its `anchor` there, and
    its own `version` is the one it was made on (`made_on`, or loaded on the annotation).

    `root` is the thread's root (the annotation itself when it is one): a reply
    stands where its thread does. `author` may be given when the relationship is not
    loaded (a new annotation by the current user). A placeholder — deleted, or hidden
    from this caller by a moderator — shows neither words nor author: they go together.

    `moderation` is added only for the author and moderators, and only while the
    annotation is pending, hidden or rejected (see `moderation_json`). `decisions`
    maps annotation ids to their latest decision, for lists; without it the decision
    is looked up, one query per annotation that needs it.
    """
    is_root = annotation.parent_id is None
    root = annotation if is_root else root
    if root is None:
        raise ValueError("a reply needs its thread's root to be serialised")
    deleted = not can_read_words(current_user, annotation)
    if not deleted and author is None:
        author = annotation.author
    thread_id = annotation.root_id or annotation.id
    shown_in, version = version, (version if anchor is None else made_on or annotation.version)
    api_url = url_for("api.annotation", annotation_id=annotation.id, _external=True)
    links = {
        "self": api_url,
        "html": annotation_permalink(annotation.id),
        "thread": url_for("api.annotation", annotation_id=thread_id, _external=True),
        "version": url_for("api.version", slug=paper.slug, label=version.label, _external=True),
    }
    if annotation.parent_id is not None:
        links["parent"] = url_for(
            "api.annotation", annotation_id=annotation.parent_id, _external=True
        )
    answer = {
        "id": annotation.id,
        "paper": paper.slug,
        "version": version.label,
        "section": annotation.section_key,
        "kind": annotation.kind.value,
        "body": "" if deleted else annotation.body,
        "body_html": "" if deleted else annotation.body_html,
        "author": None if deleted else author_json(author),
        "created": iso(annotation.created_at),
        "updated": iso(annotation.updated_at),
        "parent": annotation.parent_id,
        "root": thread_id,
        "status": annotation.status.value,
        "quote": quote_json(annotation) if is_root else None,
        "anchor": anchor_json(root, shown_in, anchor),
        "reply_count": reply_count,
        "disposition": _current_disposition(annotation, dispositions, deleted),
        "target": annotation.target.value if is_root else None,
        "depth": annotation.depth,
        "edited": annotation.edited_at is not None,
        "edited_at": iso(annotation.edited_at),
        "proposed_text": None if deleted else annotation.proposed_text,
        "proposed_diff": None if deleted else annotation.proposed_diff,
        "url": links["html"],
        "links": links,
    }
    if shows_moderation(annotation):
        if decisions is None:
            decision = moderation_queries.latest_decision(TargetKind.ANNOTATION, annotation.id)
        else:
            decision = decisions.get(annotation.id)
        answer["moderation"] = moderation_json(annotation, decision)
    return answer


def disposition_json(disposition: Disposition) -> dict[str, Any]:
    """An editors' answer to a thread: `{outcome, response, response_html, version, editor,
    created}`; `version` is the label of the version that answers it (null when none is
    named), `editor` null once the editor's account is gone."""
    return {
        "outcome": disposition.outcome.value,
        "response": disposition.response,
        "response_html": disposition.response_html,
        "version": disposition.version.label if disposition.version is not None else None,
        "editor": author_json(disposition.editor),
        "created": iso(disposition.created_at),
    }


def _current_disposition(
    annotation: Annotation, dispositions: Mapping[int, Disposition] | None, placeholder: bool
) -> dict[str, Any] | None:
    """The current answer of a thread, on its root only (`dispositions` maps root ids to it);
    null for replies, placeholders, and when none is given."""
    if dispositions is None or placeholder or annotation.parent_id is not None:
        return None
    found = dispositions.get(annotation.id)
    return disposition_json(found) if found is not None else None


def shows_moderation(annotation: Annotation) -> bool:
    """Whether the caller is told where an annotation stands with the moderators: its
    author and moderators are, while it is pending, hidden or rejected."""
    return annotation.status in MODERATED_STATUSES and (
        is_author(current_user, annotation) or is_moderator(current_user)
    )


def moderation_json(annotation: Annotation, decision: ModerationLog | None) -> dict[str, Any]:
    """`{state, reason, decided_at}`: the status, and the latest decision's reason and
    time (null while nobody has decided, e.g. a new pending contribution)."""
    return {
        "state": annotation.status.value,
        "reason": decision.reason if decision is not None else None,
        "decided_at": iso(decision.created_at) if decision is not None else None,
    }


# --- moderation -------------------------------------------------------------------------


def target_json(kind: TargetKind, target_id: int) -> dict[str, Any]:
    return {"type": kind.value, "id": target_id}


def flag_json(flag: Flag, *, with_reporter: bool = False) -> dict[str, Any]:
    """A flag as its reporter gets it back; moderators also see who raised it."""
    answer = {
        "id": flag.id,
        "target": target_json(flag.target_kind, flag.target_id),
        "reason": flag.reason.value,
        "note": flag.note,
        "created": iso(flag.created_at),
    }
    if with_reporter:
        answer["reporter"] = author_json(flag.reporter)
    return answer


def decision_json(row: ModerationLog, moderator: User | None) -> dict[str, Any]:
    """One row of the moderation log."""
    return {
        "id": row.id,
        "moderator": author_json(moderator),
        "target": target_json(row.target_kind, row.target_id),
        "subject": row.subject_id,
        "action": row.action.value,
        "old_state": row.old_state,
        "new_state": row.new_state,
        "reason": row.reason,
        "created": iso(row.created_at),
    }


def author_record_json(record: Any) -> dict[str, Any]:
    """What a moderator weighs about an author (a `queries.AuthorRecord`)."""
    user = record.user
    return {
        "id": user.id,
        "name": user.display_name,
        "joined": iso(user.created_at),
        "published": record.published,
        "pending": record.pending,
        "rejected": record.rejected,
        "hidden": record.hidden,
        "suspended": user.is_suspended,
        "restricted": user.is_restricted,
    }


def queue_item_json(
    entry: Any, *, reply_count: int, decisions: Mapping[int, ModerationLog]
) -> dict[str, Any]:
    """One queue entry (a `queries.QueueEntry` about an annotation), for moderators."""
    item = entry.item
    context = entry.context
    root = item if item.parent_id is None else (context.root if context else None)
    section = context.section if context else None
    return {
        "target": target_json(entry.kind, item.id),
        "state": "pending" if entry.pending else "flagged",
        "since": iso(entry.since),
        "status": item.status.value,
        "annotation": annotation_json(
            item,
            paper=item.paper,
            version=item.version,
            reply_count=reply_count,
            root=root,
            decisions=decisions,
        ),
        "context": {
            "paper": item.paper.slug,
            "version": item.version.label,
            "section": (
                {"key": section.key, "number": section.number, "title": section.title}
                if section is not None
                else {"key": item.section_key, "number": None, "title": None}
            ),
            "quote": quote_json(root) if root is not None else None,
            "root": item.root_id,
            "parent": item.parent_id,
        },
        "author": author_record_json(entry.record) if entry.record else None,
        "flags": [flag_json(f, with_reporter=True) for f in entry.flags],
    }


def _queue_common(entry: Any) -> dict[str, Any]:
    item = entry.item
    return {
        "target": target_json(entry.kind, item.id),
        "state": "pending" if entry.pending else "flagged",
        "since": iso(entry.since),
        "status": item.status.value,
    }


def _queue_glossary_url(slug: str, kind: TargetKind, target_id: int) -> str:
    """The page of a glossary item on the site, absolute (`/glossary/<slug>#proposal-<id>`)."""
    path = moderation_queries.glossary_path(slug, kind, target_id)
    return f"{request.host_url.rstrip('/')}{path}"


def _queue_term_ref(term: Any) -> dict[str, Any] | None:
    if term is None:
        return None
    return {"id": term.id, "slug": term.slug, "label": term.label, "status": term.status.value}


def _queue_words(item: Any) -> tuple[str, str]:
    """A comment's words, empty once deleted (as for annotations)."""
    if item.status is CommentStatus.DELETED:
        return "", ""
    return item.body, item.body_html


def _queue_glossary_context(entry: Any) -> dict[str, Any]:
    """`{term, proposal, parent}`: the term concerned; for a comment, the proposal it
    discusses and the comment it answers (null when none)."""
    context = entry.context
    proposal = context.proposal if context else None
    parent = context.parent if context else None
    parent_words = _queue_words(parent) if parent is not None else ("", "")
    return {
        "term": _queue_term_ref(context.term if context else None),
        "proposal": (
            {
                "id": proposal.id,
                "text": proposal.text,
                "text_html": proposal.text_html,
                "author": author_json(proposal.author),
                "status": proposal.status.value,
            }
            if proposal is not None
            else None
        ),
        "parent": (
            {
                "id": parent.id,
                "body": parent_words[0],
                "body_html": parent_words[1],
                "author": author_json(parent.author),
                "status": parent.status.value,
            }
            if parent is not None
            else None
        ),
    }


def _queue_tail(entry: Any) -> dict[str, Any]:
    return {
        "context": _queue_glossary_context(entry),
        "author": author_record_json(entry.record) if entry.record else None,
        "flags": [flag_json(f, with_reporter=True) for f in entry.flags],
    }


def queue_term_json(entry: Any) -> dict[str, Any]:
    """A queue entry about a term: `term` is the term as moderators see it."""
    term = entry.item
    return {
        **_queue_common(entry),
        "term": {
            "id": term.id,
            "slug": term.slug,
            "label": term.label,
            "aliases": list(term.aliases or []),
            "author": author_json(term.author),
            "status": term.status.value,
            "created": iso(term.created_at),
            "html_url": _queue_glossary_url(term.slug, TargetKind.TERM, term.id),
        },
        **_queue_tail(entry),
    }


def queue_proposal_json(entry: Any) -> dict[str, Any]:
    """A queue entry about a definition proposal, with its words even when hidden."""
    proposal = entry.item
    term = entry.context.term if entry.context else None
    return {
        **_queue_common(entry),
        "proposal": {
            "id": proposal.id,
            "term": term.slug if term is not None else None,
            "text": proposal.text,
            "text_html": proposal.text_html,
            "rationale": proposal.rationale or "",
            "rationale_html": proposal.rationale_html or "",
            "author": author_json(proposal.author),
            "status": proposal.status.value,
            "created": iso(proposal.created_at),
            "html_url": (
                _queue_glossary_url(term.slug, TargetKind.PROPOSAL, proposal.id)
                if term is not None
                else None
            ),
        },
        **_queue_tail(entry),
    }


def queue_comment_json(entry: Any) -> dict[str, Any]:
    """A queue entry about a comment on a proposal, with its words even when hidden."""
    item = entry.item
    term = entry.context.term if entry.context else None
    body, body_html = _queue_words(item)
    return {
        **_queue_common(entry),
        "comment": {
            "id": item.id,
            "proposal": item.proposal_id,
            "parent": item.parent_id,
            "body": body,
            "body_html": body_html,
            "author": author_json(item.author),
            "status": item.status.value,
            "created": iso(item.created_at),
            "html_url": (
                _queue_glossary_url(term.slug, TargetKind.COMMENT, item.id)
                if term is not None
                else None
            ),
        },
        **_queue_tail(entry),
    }


QUEUE_GLOSSARY_SERIALIZERS = {
    TargetKind.TERM: queue_term_json,
    TargetKind.PROPOSAL: queue_proposal_json,
    TargetKind.COMMENT: queue_comment_json,
}


# --- publishing ---------------------------------------------------------------------------


def _section_ref(section: Any) -> dict[str, Any] | None:
    """Key, number and heading of a section (a `SectionInfo`), or None."""
    if section is None:
        return None
    return {"key": section.key, "number": section.number, "title": section.title}


def parsed_section_json(section: Any) -> dict[str, Any]:
    """A section of a source not yet published, in the shape of `section_json`."""
    return {
        "key": section.key,
        "number": section.number,
        "title": section.title,
        "level": section.level,
        "parent": section.parent_key,
        "position": section.position,
        "text": section.text,
        "html": section.html,
        "notes": [{"label": n.label, "text": n.text, "html": n.html} for n in section.notes],
    }


def published_version_json(
    paper: Paper, version: PaperVersion, sections: list[Section], counts: Mapping[str, int]
) -> dict[str, Any]:
    """`POST /papers/{slug}/versions`: the new version with where its threads landed."""
    return {**version_detail(paper, version, sections), "reanchoring": dict(counts)}


def publish_preview_json(paper: Paper, preview: Any) -> dict[str, Any]:
    """`POST /papers/{slug}/versions?dry_run=1`: what publishing would do; nothing stored."""
    parsed = preview.parsed
    return {
        "paper": paper.slug,
        "version": parsed.version,
        "title": parsed.title,
        "change_note": preview.change_note,
        "published_at": None,
        "sections": [parsed_section_json(s) for s in parsed.sections],
        "reanchoring": dict(preview.counts),
        "preview": {
            "dry_run": True,
            "previous_version": preview.previous.label if preview.previous else None,
            "sha256": parsed.sha256,
            "sections": [
                {
                    "fate": change.fate,
                    "labels": list(change.labels),
                    "old": _section_ref(change.old),
                    "new": _section_ref(change.new),
                    "similarity": round(change.similarity, 3),
                }
                for change in preview.changes
            ],
            "threads": [
                {
                    "annotation": landing.annotation.id,
                    "section": landing.annotation.section_key,
                    "from_section": landing.old_section.key if landing.old_section else None,
                    "status": landing.status,
                    "to_section": landing.placement.section_key,
                    "start": landing.placement.start,
                    "end": landing.placement.end,
                    "exact": landing.placement.exact,
                    "score": landing.placement.score,
                }
                for landing in preview.landings
            ],
        },
    }


# --- the glossary -------------------------------------------------------------------------


def _related(obj: Any, name: str, model: Any, key: int | None, users: Mapping | None = None):
    """A many-to-one of `obj` (its relationships are `lazy="raise"`): the loaded one, else
    from `users` (for lists: one query for the page), else by primary key (the identity
    map usually has it, so no query)."""
    if key is None:
        return None
    if name not in sa_inspect(obj).unloaded:
        return getattr(obj, name)
    if users is not None and key in users:
        return users[key]
    from app.extensions import db

    return db.session.get(model, key)


def glossary_permalink(slug: str) -> str:
    """The term's page on the site (`/glossary/<term>`, CONTRACT), absolute."""
    for endpoint in ("glossary.term", "definitions.term"):
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, slug=slug, _external=True)
            except BuildError:
                pass
    return f"{request.host_url.rstrip('/')}/glossary/{quote(slug)}"


def term_json(
    term: Any,
    *,
    adopted: Any = None,
    open_proposals: int = 0,
    users: Mapping[int, User] | None = None,
    votes: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """A term: `{slug, label, aliases, status, author, created, definition, open_proposals,
    url, html_url}`; `definition` is its adopted proposal (`proposal_json`) or null."""
    author = _related(term, "author", User, term.author_id, users)
    return {
        "slug": term.slug,
        "label": term.label,
        "aliases": list(term.aliases or []),
        "status": term.status.value,
        "author": author_json(author),
        "created": iso(term.created_at),
        "updated": iso(term.updated_at),
        "definition": (
            proposal_json(
                adopted,
                term=term,
                users=users,
                my_vote=(votes or {}).get(adopted.id),
            )
            if adopted is not None
            else None
        ),
        "open_proposals": open_proposals,
        "url": url_for("api.term", slug=term.slug, _external=True),
        "html_url": glossary_permalink(term.slug),
    }


def proposal_json(
    proposal: Any,
    *,
    term: Any = None,
    my_vote: str | None = None,
    users: Mapping[int, User] | None = None,
) -> dict[str, Any]:
    """A definition proposal. `adopted` is `{at, by, text, text_html}` once an editor adopted
    it (the adopted wording, edited or as proposed; the author stays `author`), else null;
    a superseded definition keeps its `adopted` and gains `superseded_at`."""
    if term is None or term.id != proposal.term_id:
        term = _related(proposal, "term", Term, proposal.term_id)
    author = _related(proposal, "author", User, proposal.author_id, users)
    adopted = None
    if proposal.adopted_at is not None:
        editor = _related(proposal, "adopted_by", User, proposal.adopted_by_id, users)
        adopted = {
            "at": iso(proposal.adopted_at),
            "by": author_json(editor),
            "text": proposal.adopted_text or proposal.text,
            "text_html": proposal.adopted_html or proposal.text_html,
            "edited": proposal.adopted_text is not None,
        }
    return {
        "id": proposal.id,
        "term": term.slug,
        "text": proposal.text,
        "text_html": proposal.text_html,
        "rationale": proposal.rationale or "",
        "rationale_html": proposal.rationale_html or "",
        "author": author_json(author),
        "status": proposal.status.value,
        "votes": {"support": proposal.support_count or 0, "oppose": proposal.oppose_count or 0},
        "my_vote": my_vote,
        "created": iso(proposal.created_at),
        "updated": iso(proposal.updated_at),
        "adopted": adopted,
        "superseded_at": iso(proposal.superseded_at),
        "editor_reason": proposal.editor_reason,
        "url": url_for("api.proposal", proposal_id=proposal.id, _external=True),
    }


def comment_json(item: Any) -> dict[str, Any]:
    """A comment on a proposal: `{id, proposal, parent, body, body_html, author, status,
    created}`. A deleted comment keeps its place without its words or author."""
    deleted = item.status is CommentStatus.DELETED
    author = None if deleted else _related(item, "author", User, item.author_id)
    return {
        "id": item.id,
        "proposal": item.proposal_id,
        "parent": item.parent_id,
        "body": "" if deleted else item.body,
        "body_html": "" if deleted else item.body_html,
        "author": author_json(author),
        "status": item.status.value,
        "created": iso(item.created_at),
    }


def vote_json(vote: Any, proposal: Any) -> dict[str, Any]:
    """The caller's vote and the proposal's counts after it."""
    return {
        "proposal": proposal.id,
        "stance": vote.stance.value,
        "created": iso(vote.created_at),
        "updated": iso(vote.updated_at),
        "votes": {"support": proposal.support_count or 0, "oppose": proposal.oppose_count or 0},
    }
