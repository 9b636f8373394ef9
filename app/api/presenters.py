"""Model → answer, in the shapes CONTRACT.md promises: each presenter builds one of the
models of `app.api.schemas` from what the view hands it — the viewer, the latest
decisions, counts, dispositions, anchors, the people named. Presenters neither query
the database nor read the request: the view loads what they need, in bulk for a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import inspect as sa_inspect
from werkzeug.routing import BuildError

from app.api import schemas
from app.core.permissions import can_read_words, is_author, is_moderator
from app.core.urls import absolute, absolute_url
from app.models import (
    CommentStatus,
    Flag,
    ModerationLog,
    Paper,
    PaperVersion,
    Section,
    TargetKind,
    User,
)
from app.models.annotation import Anchor, Annotation, AnnotationStatus, Disposition
from app.moderation.queries import glossary_path
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


def _day(value: Any) -> str | None:
    return value.isoformat() if value else None


def _copy(obj: Any, *names: str) -> dict[str, Any]:
    """The attributes of `obj` that an answer carries under the same names."""
    return {name: getattr(obj, name) for name in names}


def site_url(path: str) -> str:
    """An absolute address on this site (SITE_URL), whatever host the API was reached by."""
    return absolute(path)


# --- papers -----------------------------------------------------------------------------


def paper_item(paper: Paper, latest: PaperVersion) -> schemas.PaperItem:
    return schemas.PaperItem(
        **_copy(paper, "slug", "title", "number", "series"),
        latest_version=latest.label,
        url=absolute_url("api.paper", slug=paper.slug),
    )


def period(period: CommentPeriod) -> schemas.CommentPeriod:
    return schemas.CommentPeriod(
        opens=_day(period.opens), closes=_day(period.closes), state=period.state
    )


def paper_detail(paper: Paper, versions: list[PaperVersion], period_: CommentPeriod):
    latest = versions[-1]
    return schemas.Paper(
        **_copy(paper, "slug", "title", "number", "series"),
        **_copy(latest, "authors", "editors"),
        latest_version=latest.label,
        comment_period=period(period_),
        versions=[
            schemas.VersionRef(
                version=v.label,
                published_at=iso(v.published_at),
                date=_day(v.date),
                change_note=v.change_note,
                url=absolute_url("api.version", slug=paper.slug, label=v.label),
            )
            for v in versions
        ],
        html_url=absolute_url("papers.paper", slug=paper.slug),
    )


def section(section: Any, notes: list[schemas.Note] | None = None) -> schemas.Section:
    """A section, published (`Section`, notes as dicts) or parsed from a source."""
    if notes is None:
        notes = [
            schemas.Note(label=n["label"], text=n["text"], html=n["html"]) for n in section.notes
        ]
    return schemas.Section(
        **_copy(section, "key", "number", "title", "level", "position", "text", "html"),
        parent=section.parent_key,
        notes=notes,
    )


def parsed_section(parsed: Any) -> schemas.Section:
    """A section of a source not yet published."""
    notes = [schemas.Note(label=n.label, text=n.text, html=n.html) for n in parsed.notes]
    return section(parsed, notes)


def version_detail(paper: Paper, version: PaperVersion, sections: list[Section]):
    return schemas.Version(**_version_fields(paper, version, sections))


def _version_fields(paper: Paper, version: PaperVersion, sections: list[Section]):
    return {
        "paper": paper.slug,
        "version": version.label,
        "title": version.title,
        "authors": version.authors,
        "editors": version.editors,
        "date": _day(version.date),
        "published_at": iso(version.published_at),
        "change_note": version.change_note,
        "acknowledgement": version.acknowledgement,
        "sections": [section(s) for s in sections],
        "html_url": absolute_url("papers.version", slug=paper.slug, label=version.label),
    }


def published_version(
    paper: Paper, version: PaperVersion, sections: list[Section], counts: Mapping[str, int]
) -> schemas.PublishedVersion:
    """`POST /papers/{slug}/versions`: the new version with where its threads landed."""
    return schemas.PublishedVersion(
        **_version_fields(paper, version, sections), reanchoring=dict(counts)
    )


def _section_ref(info: Any) -> schemas.SectionRef | None:
    """Key, number and heading of a section (a `SectionInfo`), or None."""
    if info is None:
        return None
    return schemas.SectionRef(key=info.key, number=info.number, title=info.title)


def publish_preview(paper: Paper, preview: Any) -> schemas.VersionPreview:
    """`POST /papers/{slug}/versions?dry_run=1`: what publishing would do; nothing stored."""
    parsed = preview.parsed
    return schemas.VersionPreview(
        paper=paper.slug,
        version=parsed.version,
        title=parsed.title,
        change_note=preview.change_note,
        published_at=None,
        sections=[parsed_section(s) for s in parsed.sections],
        reanchoring=dict(preview.counts),
        preview=schemas.PreviewDetail(
            dry_run=True,
            previous_version=preview.previous.label if preview.previous else None,
            sha256=parsed.sha256,
            source=parsed.source,
            sections=[
                schemas.SectionChange(
                    fate=change.fate,
                    labels=list(change.labels),
                    old=_section_ref(change.old),
                    new=_section_ref(change.new),
                    similarity=round(change.similarity, 3),
                )
                for change in preview.changes
            ],
            threads=[
                schemas.ThreadLanding(
                    annotation=landing.annotation.id,
                    section=landing.annotation.section_key,
                    from_section=landing.old_section.key if landing.old_section else None,
                    status=landing.status,
                    to_section=landing.placement.section_key,
                    start=landing.placement.start,
                    end=landing.placement.end,
                    exact=landing.placement.exact,
                    score=landing.placement.score,
                )
                for landing in preview.landings
            ],
        ),
    )


# --- annotations ------------------------------------------------------------------------


def annotation_permalink(annotation_id: int) -> str:
    """The thread's page on the site (`/annotations/<id>`, CONTRACT), absolute."""
    if "annotations.thread" in current_app.view_functions:
        try:
            return absolute_url("annotations.thread", annotation_id=annotation_id)
        except BuildError:
            pass
    return site_url(f"/annotations/{annotation_id}")


def quote(annotation: Annotation) -> schemas.Quote | None:
    """The W3C quote and position selectors of a root, or None for a whole-section comment."""
    if annotation.quote_exact is None:
        return None
    return schemas.Quote(
        exact=annotation.quote_exact,
        prefix=annotation.quote_prefix,
        suffix=annotation.quote_suffix,
        start=annotation.quote_start,
        end=annotation.quote_end,
    )


def anchor(root: Annotation, version: PaperVersion, placed: Anchor | None = None):
    """Where a thread stands in the version asked for: where it was made, exactly, on its
    own version; in a later version, where re-anchoring placed it (exact, moved, fuzzy,
    applied — a suggestion whose proposed wording that version took up — or orphaned, when
    its words are gone)."""
    if placed is None:
        where = (root.section_key, root.quote_start, root.quote_end, root.quote_exact, "exact")
    else:
        where = (placed.section_key, placed.start, placed.end, placed.exact, placed.status.value)
    section, start, end, exact, status = where
    return schemas.Anchor(
        version=version.label, section=section, start=start, end=end, exact=exact, status=status
    )


def person(user: User | None) -> schemas.Person | None:
    if user is None:
        return None
    return schemas.Person(id=user.id, name=user.display_name)


def shows_moderation(annotation: Annotation, viewer: Any) -> bool:
    """Whether the viewer is told where an annotation stands with the moderators: its
    author and moderators are, while it is pending, hidden or rejected."""
    return annotation.status in MODERATED_STATUSES and (
        is_author(viewer, annotation) or is_moderator(viewer)
    )


def annotation(
    annotation: Annotation,
    *,
    viewer: Any,
    paper: Paper,
    version: PaperVersion,
    reply_count: int,
    decisions: Mapping[int, ModerationLog],
    root: Annotation | None = None,
    author: User | None = None,
    dispositions: Mapping[int, Disposition] | None = None,
    anchor_: Anchor | None = None,
    made_on: PaperVersion | None = None,
) -> schemas.Annotation:
    """An annotation in the CONTRACT's shape, with extras (target, edits, suggestion, links).

    `version` is the version asked for. A thread made on it stands there exactly; a
    thread carried into it from an earlier version comes with its anchor there
    (`anchor_`), and its own `version` is the one it was made on (`made_on`, or loaded
    on the annotation).

    `root` is the thread's root (the annotation itself when it is one): a reply stands
    where its thread does. `author` may be given when the relationship is not loaded (a
    new annotation by the viewer). A placeholder — deleted, or hidden from this viewer
    by a moderator — shows neither words nor author: they go together.

    `moderation` is added only for the author and moderators, and only while the
    annotation is pending, hidden or rejected; `decisions` maps annotation ids to their
    latest decision (the view loads them, for a list in one query).
    """
    is_root = annotation.parent_id is None
    root = annotation if is_root else root
    if root is None:
        raise ValueError("a reply needs its thread's root to be presented")
    deleted = not can_read_words(viewer, annotation)
    if not deleted and author is None:
        author = annotation.author
    thread_id = annotation.root_id or annotation.id
    shown_in = version
    version = version if anchor_ is None else made_on or annotation.version
    links = {
        "self": absolute_url("api.annotation", annotation_id=annotation.id),
        "html": annotation_permalink(annotation.id),
        "thread": absolute_url("api.annotation", annotation_id=thread_id),
        "version": absolute_url("api.version", slug=paper.slug, label=version.label),
    }
    if annotation.parent_id is not None:
        links["parent"] = absolute_url("api.annotation", annotation_id=annotation.parent_id)
    extra = {}
    if shows_moderation(annotation, viewer):
        extra["moderation"] = moderation(annotation, decisions.get(annotation.id))
    return schemas.Annotation(
        id=annotation.id,
        paper=paper.slug,
        version=version.label,
        section=annotation.section_key,
        kind=annotation.kind.value,
        body="" if deleted else annotation.body,
        body_html="" if deleted else annotation.body_html,
        language=annotation.language,
        author=None if deleted else person(author),
        created=iso(annotation.created_at),
        updated=iso(annotation.updated_at),
        parent=annotation.parent_id,
        root=thread_id,
        status=annotation.status.value,
        quote=quote(annotation) if is_root else None,
        anchor=anchor(root, shown_in, anchor_),
        reply_count=reply_count,
        disposition=_current_disposition(annotation, dispositions, deleted),
        target=annotation.target.value if is_root else None,
        depth=annotation.depth,
        edited=annotation.edited_at is not None,
        edited_at=iso(annotation.edited_at),
        proposed_text=None if deleted else annotation.proposed_text,
        proposed_diff=None if deleted else annotation.proposed_diff,
        url=links["html"],
        links=schemas.AnnotationLinks(**links),
        **extra,
    )


def disposition(answer: Disposition) -> schemas.Disposition:
    """An editors' answer to a thread; `version` is the label of the version that answers
    it (null when none is named), `editor` null once the editor's account is gone."""
    return schemas.Disposition(
        outcome=answer.outcome.value,
        response=answer.response,
        response_html=answer.response_html,
        version=answer.version.label if answer.version is not None else None,
        editor=person(answer.editor),
        created=iso(answer.created_at),
        language=answer.language,
    )


def _current_disposition(
    annotation: Annotation, dispositions: Mapping[int, Disposition] | None, placeholder: bool
) -> schemas.Disposition | None:
    """The current answer of a thread, on its root only (`dispositions` maps root ids to it);
    null for replies, placeholders, and when none is given."""
    if dispositions is None or placeholder or annotation.parent_id is not None:
        return None
    found = dispositions.get(annotation.id)
    return disposition(found) if found is not None else None


def moderation(annotation: Annotation, decision: ModerationLog | None) -> schemas.Moderation:
    """The status, and the latest decision's reason and time (null while nobody has
    decided, e.g. a new pending contribution)."""
    return schemas.Moderation(
        state=annotation.status.value,
        reason=decision.reason if decision is not None else None,
        decided_at=iso(decision.created_at) if decision is not None else None,
    )


# --- moderation -------------------------------------------------------------------------


def target(kind: TargetKind, target_id: int) -> schemas.Target:
    return schemas.Target(type=kind.value, id=target_id)


def flag(row: Flag, *, with_reporter: bool = False) -> schemas.Flag:
    """A flag as its reporter gets it back; moderators also see who raised it."""
    extra = {"reporter": person(row.reporter)} if with_reporter else {}
    return schemas.Flag(
        id=row.id,
        target=target(row.target_kind, row.target_id),
        reason=row.reason.value,
        note=row.note,
        created=iso(row.created_at),
        **extra,
    )


def decision(row: ModerationLog, moderator: User | None) -> schemas.Decision:
    """One row of the moderation log."""
    return schemas.Decision(
        id=row.id,
        moderator=person(moderator),
        target=target(row.target_kind, row.target_id),
        subject=row.subject_id,
        action=row.action.value,
        old_state=row.old_state,
        new_state=row.new_state,
        reason=row.reason,
        created=iso(row.created_at),
    )


def author_record(record: Any) -> schemas.AuthorRecord | None:
    """What a moderator weighs about an author (a `queries.AuthorRecord`)."""
    if record is None:
        return None
    user = record.user
    return schemas.AuthorRecord(
        id=user.id,
        name=user.display_name,
        joined=iso(user.created_at),
        **_copy(record, "published", "pending", "rejected", "hidden"),
        suspended=user.is_suspended,
        restricted=user.is_restricted,
    )


def _queue_fields(entry: Any) -> dict[str, Any]:
    """What every queue entry carries, whatever its kind."""
    return {
        "target": target(entry.kind, entry.item.id),
        "state": "pending" if entry.pending else "flagged",
        "since": iso(entry.since),
        "status": entry.item.status.value,
        "author": author_record(entry.record),
        "flags": [flag(f, with_reporter=True) for f in entry.flags],
    }


def queue_annotation(
    entry: Any, *, viewer: Any, reply_count: int, decisions: Mapping[int, ModerationLog]
) -> schemas.QueueItem:
    """One queue entry (a `queries.QueueEntry` about an annotation), for moderators."""
    item = entry.item
    context = entry.context
    root = item if item.parent_id is None else (context.root if context else None)
    info = context.section if context else None
    return schemas.QueueItem(
        **_queue_fields(entry),
        annotation=annotation(
            item,
            viewer=viewer,
            paper=item.paper,
            version=item.version,
            reply_count=reply_count,
            root=root,
            decisions=decisions,
        ),
        context=schemas.QueueContext(
            paper=item.paper.slug,
            version=item.version.label,
            section=_section_ref(info)
            or schemas.SectionRef(key=item.section_key, number=None, title=None),
            quote=quote(root) if root is not None else None,
            root=item.root_id,
            parent=item.parent_id,
        ),
    )


def _glossary_url(slug: str, kind: TargetKind, target_id: int) -> str:
    """The page of a glossary item on the site, absolute (`/glossary/<slug>#proposal-<id>`)."""
    return site_url(glossary_path(slug, kind, target_id))


def _words(item: Any) -> tuple[str, str]:
    """A comment's words, empty once deleted (as for annotations)."""
    if item.status is CommentStatus.DELETED:
        return "", ""
    return item.body, item.body_html


def _glossary_context(entry: Any) -> schemas.GlossaryContext:
    """The term concerned; for a comment, the proposal it discusses and the comment it
    answers (null when none)."""
    context = entry.context
    term = context.term if context else None
    proposal = context.proposal if context else None
    parent = context.parent if context else None
    return schemas.GlossaryContext(
        term=(
            schemas.TermRef(id=term.id, slug=term.slug, label=term.label, status=term.status.value)
            if term is not None
            else None
        ),
        proposal=(
            schemas.ProposalRef(
                id=proposal.id,
                text=proposal.text,
                text_html=proposal.text_html,
                author=person(proposal.author),
                status=proposal.status.value,
            )
            if proposal is not None
            else None
        ),
        parent=(
            schemas.CommentRef(
                id=parent.id,
                body=_words(parent)[0],
                body_html=_words(parent)[1],
                author=person(parent.author),
                status=parent.status.value,
            )
            if parent is not None
            else None
        ),
    )


def queue_term(entry: Any) -> schemas.QueueItem:
    """A queue entry about a term: `term` is the term as moderators see it."""
    term = entry.item
    return schemas.QueueItem(
        **_queue_fields(entry),
        term=schemas.QueuedTerm(
            id=term.id,
            slug=term.slug,
            label=term.label,
            aliases=list(term.aliases or []),
            author=person(term.author),
            status=term.status.value,
            created=iso(term.created_at),
            html_url=_glossary_url(term.slug, TargetKind.TERM, term.id),
        ),
        context=_glossary_context(entry),
    )


def queue_proposal(entry: Any) -> schemas.QueueItem:
    """A queue entry about a definition proposal, with its words even when hidden."""
    proposal = entry.item
    term = entry.context.term if entry.context else None
    return schemas.QueueItem(
        **_queue_fields(entry),
        proposal=schemas.QueuedProposal(
            id=proposal.id,
            term=term.slug if term is not None else None,
            text=proposal.text,
            text_html=proposal.text_html,
            rationale=proposal.rationale or "",
            rationale_html=proposal.rationale_html or "",
            author=person(proposal.author),
            status=proposal.status.value,
            created=iso(proposal.created_at),
            language=proposal.language,
            html_url=(
                _glossary_url(term.slug, TargetKind.PROPOSAL, proposal.id)
                if term is not None
                else None
            ),
        ),
        context=_glossary_context(entry),
    )


def queue_comment(entry: Any) -> schemas.QueueItem:
    """A queue entry about a comment on a proposal, with its words even when hidden."""
    item = entry.item
    term = entry.context.term if entry.context else None
    body, body_html = _words(item)
    return schemas.QueueItem(
        **_queue_fields(entry),
        comment=schemas.QueuedComment(
            id=item.id,
            proposal=item.proposal_id,
            parent=item.parent_id,
            body=body,
            body_html=body_html,
            author=person(item.author),
            status=item.status.value,
            created=iso(item.created_at),
            language=item.language,
            html_url=(
                _glossary_url(term.slug, TargetKind.COMMENT, item.id) if term is not None else None
            ),
        ),
        context=_glossary_context(entry),
    )


QUEUE_GLOSSARY_PRESENTERS = {
    TargetKind.TERM: queue_term,
    TargetKind.PROPOSAL: queue_proposal,
    TargetKind.COMMENT: queue_comment,
}


# --- the glossary -----------------------------------------------------------------------


def _related(obj: Any, name: str, key: int | None, people: Mapping[int, Any]) -> Any:
    """A many-to-one of `obj` (its relationships are `lazy="raise"`): the loaded one, else
    the one the view handed over in `people`."""
    if key is None:
        return None
    if name not in sa_inspect(obj).unloaded:
        return getattr(obj, name)
    return people.get(key)


def glossary_permalink(slug: str) -> str:
    """The term's page on the site (`/glossary/<term>`, CONTRACT), absolute."""
    for endpoint in ("glossary.term", "definitions.term"):
        if endpoint in current_app.view_functions:
            try:
                return absolute_url(endpoint, slug=slug)
            except BuildError:
                pass
    return site_url(glossary_path(slug))


def term(
    term: Any,
    *,
    people: Mapping[int, User],
    adopted: Any = None,
    open_proposals: int = 0,
    votes: Mapping[int, str] | None = None,
    model: type[schemas.Term] = schemas.Term,
    **extra: Any,
) -> schemas.Term:
    """A term; `definition` is its adopted proposal or null. `people` holds the accounts
    named (author, adopting editor) whose relationship is not loaded."""
    definition = None
    if adopted is not None:
        my_vote = (votes or {}).get(adopted.id)
        definition = proposal(adopted, term=term, people=people, my_vote=my_vote)
    return model(
        slug=term.slug,
        label=term.label,
        aliases=list(term.aliases or []),
        status=term.status.value,
        author=person(_related(term, "author", term.author_id, people)),
        created=iso(term.created_at),
        updated=iso(term.updated_at),
        definition=definition,
        open_proposals=open_proposals,
        url=absolute_url("api.term", slug=term.slug),
        html_url=glossary_permalink(term.slug),
        **extra,
    )


def proposal(
    proposal: Any,
    *,
    term: Any,
    people: Mapping[int, User],
    my_vote: str | None = None,
    model: type[schemas.Proposal] = schemas.Proposal,
    **extra: Any,
) -> schemas.Proposal:
    """A definition proposal of `term`. `adopted` is set once an editor adopted it (the
    adopted wording, edited or as proposed; the author stays `author`), else null; a
    superseded definition keeps its `adopted` and gains `superseded_at`."""
    adopted = None
    if proposal.adopted_at is not None:
        editor = _related(proposal, "adopted_by", proposal.adopted_by_id, people)
        adopted = schemas.AdoptedWording(
            at=iso(proposal.adopted_at),
            by=person(editor),
            text=proposal.adopted_text or proposal.text,
            text_html=proposal.adopted_html or proposal.text_html,
            edited=proposal.adopted_text is not None,
        )
    return model(
        id=proposal.id,
        term=term.slug,
        text=proposal.text,
        text_html=proposal.text_html,
        rationale=proposal.rationale or "",
        rationale_html=proposal.rationale_html or "",
        author=person(_related(proposal, "author", proposal.author_id, people)),
        status=proposal.status.value,
        language=proposal.language,
        votes=votes(proposal),
        my_vote=my_vote,
        created=iso(proposal.created_at),
        updated=iso(proposal.updated_at),
        adopted=adopted,
        superseded_at=iso(proposal.superseded_at),
        editor_reason=proposal.editor_reason,
        url=absolute_url("api.proposal", proposal_id=proposal.id),
        **extra,
    )


def votes(proposal: Any) -> schemas.Votes:
    return schemas.Votes(support=proposal.support_count or 0, oppose=proposal.oppose_count or 0)


def proposal_comment(item: Any, people: Mapping[int, User]) -> schemas.ProposalComment:
    """A comment on a proposal. A deleted comment keeps its place without its words or
    author."""
    deleted = item.status is CommentStatus.DELETED
    author = None if deleted else _related(item, "author", item.author_id, people)
    return schemas.ProposalComment(
        id=item.id,
        proposal=item.proposal_id,
        parent=item.parent_id,
        body="" if deleted else item.body,
        body_html="" if deleted else item.body_html,
        author=person(author),
        status=item.status.value,
        created=iso(item.created_at),
        language=item.language,
    )


def vote(row: Any, proposal: Any) -> schemas.Vote:
    """The caller's vote and the proposal's counts after it."""
    return schemas.Vote(
        proposal=proposal.id,
        stance=row.stance.value,
        created=iso(row.created_at),
        updated=iso(row.updated_at),
        votes=votes(proposal),
    )


def search_hit(hit: Any, url: str) -> schemas.SearchHit:
    """A search result, from the hit and the row it was handed (with what it shows loaded)."""
    row = hit.row
    fields: dict[str, Any] = {}
    if hit.type == "section":
        version = row.version
        fields = {"title": row.heading, "paper": version.paper.slug, "version": version.label,
                  "section": row.key}  # fmt: skip
    elif hit.type == "annotation":
        fields = {
            "paper": row.paper.slug,
            "version": row.version.label,
            "section": row.section_key,
            "kind": row.kind.value,
            "parent": row.parent_id,
            "status": row.status.value,
        }
    elif hit.type == "proposal":
        fields = {"term": row.term.slug, "status": row.status.value}
    else:
        fields = {"title": row.label, "term": row.slug, "status": row.status.value}
    return schemas.SearchHit(
        type=hit.type,
        id=row.id,
        url=url,
        title=fields.pop("title", ""),
        snippet=hit.snippet_html,
        score=round(hit.score, 6),
        author=person(hit.author),
        created=None if hit.type == "section" else iso(row.created_at),
        **fields,
    )


# --- editors' exports ---------------------------------------------------------------------


def export_author(author: Any) -> schemas.ExportAuthor:
    return schemas.ExportAuthor(
        id=author.id,
        name=author.name,
        stakeholder_type=author.stakeholder_type,
        country=author.country,
    )


def exported_contribution(item: Any) -> schemas.ExportedContribution:
    """A row of `app.editor.exports.contributions`: a thread where it stands in the
    exported version, or a reply with its thread's section."""
    place, answer_ = item.place, item.answer
    thread = item.parent is None
    disposition_ = None
    if answer_ is not None:
        editor = answer_.answered_by
        disposition_ = schemas.ExportAnswer(
            outcome=answer_.outcome,
            response=answer_.response,
            answered_at=iso(answer_.answered_at),
            answered_by=schemas.Person(id=editor.id, name=editor.name) if editor else None,
            version=answer_.version,
        )
    return schemas.ExportedContribution(
        type="thread" if thread else "reply",
        id=item.id,
        root=item.root,
        parent=item.parent,
        made_on=item.made_on,
        section=schemas.ExportSection(key=place.key, number=place.number, title=place.title),
        kind=item.kind,
        target=item.target,
        status=item.status,
        quote=schemas.ExportQuote(exact=place.exact, start=place.start, end=place.end)
        if thread
        else None,
        anchor_status=place.status if thread else None,
        body=item.body,
        proposed_text=item.proposed_text,
        created=iso(item.created),
        updated=iso(item.updated),
        reply_count=item.reply_count,
        disposition=disposition_,
        author=export_author(item.author),
        url=annotation_permalink(item.id),
    )


def exported_proposal(item: Any) -> schemas.ExportedProposal:
    """A row of `app.editor.exports.proposals`."""
    return schemas.ExportedProposal(
        id=item.id,
        term=schemas.ExportTerm(
            slug=item.term_slug, label=item.term_label, occurrences=item.occurrences
        ),
        text=item.text,
        rationale=item.rationale,
        status=item.status,
        votes=schemas.Votes(support=item.support, oppose=item.oppose),
        created=iso(item.created),
        updated=iso(item.updated),
        adopted_at=iso(item.adopted_at),
        author=export_author(item.author),
        url=glossary_permalink(item.term_slug),
    )
