"""JSON API for annotations: start threads, reply, read, edit and delete, list a version's threads.

Views stay thin: authenticate (401), authorise (403), read the JSON strictly (400, 415,
422), load what it names (404), call one service, answer. Input is checked
before any service runs, and unknown fields are refused rather than ignored, so that a
typo (`qoute`) is an error instead of a comment silently posted without its quote.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from flask import url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import load_only

from app.annotations import queries, services
from app.annotations.dispositions import current_dispositions
from app.annotations.limits import posting_limit
from app.api import presenters, schemas, validation
from app.api.blueprint import (
    ANNOTATION_ID,
    MAX_ID,
    allowed,
    answer,
    bp,
    caller,
    created,
    json_object,
    paper_version,
    signed_in,
    version_lookup,
)
from app.core.errors import ApiError
from app.core.page_cache import public_page
from app.core.permissions import can_annotate, can_read_words
from app.core.urls import absolute_url
from app.extensions import db
from app.models import (
    Anchor,
    Annotation,
    AnnotationKind,
    ModerationLog,
    PaperVersion,
    Section,
    TargetKind,
)
from app.moderation import queries as moderation_queries
from app.papers.queries import VERSION_COLUMNS


def _participant():
    """The account making a write: 401 without one, 403 when it may not take part."""
    return allowed(can_annotate, "Log in with a confirmed account to take part.")


def _visible(annotation_id: int) -> Annotation:
    annotation = queries.get_visible(annotation_id, caller())
    if annotation is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    return annotation


def decisions_for(annotations: list[Annotation], viewer: Any) -> dict[int, ModerationLog]:
    """The latest decisions on those of `annotations` whose moderation the viewer is told
    about (their own, or any for moderators, while pending, hidden or rejected): one query
    at most, none when there is nothing to tell."""
    ids = [a.id for a in annotations if presenters.shows_moderation(a, viewer)]
    return moderation_queries.latest_decisions(TargetKind.ANNOTATION, ids) if ids else {}


def _thread_root(annotation: Annotation) -> Annotation:
    """The root of an annotation's thread (itself for a root): at most one query."""
    if annotation.parent_id is None:
        return annotation
    return db.session.get(Annotation, annotation.root_id)


def _present(
    annotation: Annotation,
    viewer: Any,
    reply_count: int,
    *,
    shown_in: PaperVersion | None = None,
    **extra,
) -> schemas.Annotation:
    """One annotation on its own, with the decision its viewer is told of."""
    return presenters.annotation(
        annotation,
        viewer=viewer,
        paper=annotation.paper,
        version=shown_in or annotation.version,
        reply_count=reply_count,
        root=_thread_root(annotation),
        decisions=decisions_for([annotation], viewer),
        **extra,
    )


def _place_in(root: Annotation, label: str | None) -> tuple[PaperVersion | None, Anchor | None]:
    """The version asked for with `?version=` and the thread's anchor there (None on its
    own version); 404 when it is not in that version. (None, None) when none is asked."""
    if label is None:
        return None, None
    version = db.session.scalar(
        select(PaperVersion)
        .where(PaperVersion.paper_id == root.paper_id, PaperVersion.label == label)
        .options(load_only(*VERSION_COLUMNS))
    )
    if version is None:
        message = f"the paper has no version {label!r}"
        raise ApiError(404, message, code="not_found", fields={"version": message})
    if version.id == root.version_id:
        return version, None
    anchor = db.session.scalar(
        select(Anchor).where(Anchor.annotation_id == root.id, Anchor.version_id == version.id)
    )
    if anchor is None:
        message = f"the thread is not carried into version {label}"
        raise ApiError(404, message, code="not_carried", fields={"version": message})
    return version, anchor


# --- creating ----------------------------------------------------------------------------


@bp.post("/annotations")
@posting_limit
def create_annotation():
    """Start a thread (`paper`, `version`, `section`, `body`, …) or reply (`parent`, `body`)."""
    user = allowed(can_annotate, "Log in with a confirmed account to take part.")
    data = json_object()
    if "parent" in data:
        annotation, body = _create_reply(user, validation.body(schemas.NewReply, data=data))
    else:
        annotation, body = _create_root(user, validation.body(schemas.NewThread, data=data))
    return created(body, url_for("api.annotation", annotation_id=annotation.id))


def _new(annotation: Annotation, user, paper, version, root: Annotation | None = None):
    """A new annotation as its author gets it back."""
    presented = presenters.annotation(
        annotation,
        viewer=user,
        paper=paper,
        version=version,
        reply_count=0,
        root=root,
        author=user,
        decisions={},  # made by this request: no moderator has decided on it yet
    )
    return annotation, presented


def _create_root(user, new: schemas.NewThread) -> tuple[Annotation, schemas.Annotation]:
    found = version_lookup(new.paper, new.version)
    paper, version = found.paper, found.version
    # The section is a field of the body: unknown, the request cannot be processed (422).
    section = services.find_section(version, new.section)
    quote = None
    if new.quote is not None:
        quote = services.QuoteInput(**new.quote.model_dump())
    annotation = services.create_thread(
        user,
        paper,
        version,
        section,
        new.body,
        kind=new.kind or AnnotationKind.COMMENT,
        quote=quote,
        target=new.target,
        proposed_text=new.proposed_text,
        versions=found.versions,
        language=new.language,
    )
    return _new(annotation, user, paper, version)


def _create_reply(user, new: schemas.NewReply) -> tuple[Annotation, schemas.Annotation]:
    parent = None
    if 1 <= new.parent <= MAX_ID:
        parent = queries.get_visible(new.parent, user)
    if parent is None:
        raise ApiError(
            404, f"no annotation {new.parent} to reply to", fields={"parent": "no such annotation"}
        )
    annotation = services.reply(user, parent, new.body, language=new.language)
    return _new(annotation, user, parent.paper, parent.version, _thread_root(parent))


# --- one annotation ---------------------------------------------------------------------


@bp.get(f"/annotations/{ANNOTATION_ID}")
def annotation(annotation_id: int):
    """One annotation; a root comes with its thread's visible replies, oldest first."""
    viewer = caller()
    found = _visible(annotation_id)
    asked = validation.query(schemas.ThreadQuery)
    shown, anchor = _place_in(_thread_root(found), asked.version)
    shown = shown or found.version
    if found.parent_id is not None:
        count = queries.reply_count(found, viewer)
        own = found.version
        return answer(_present(found, viewer, count, shown_in=shown, anchor_=anchor, made_on=own))
    replies = queries.thread_replies(found, viewer)
    if not replies and not can_read_words(viewer, found):
        # A placeholder keeps its replies' place; with none left there is nothing to show.
        raise ApiError(404, f"no annotation {annotation_id}")
    children: dict[int, int] = {}
    for reply in replies:
        children[reply.parent_id] = children.get(reply.parent_id, 0) + 1
    decisions = decisions_for([found, *replies], viewer)
    common = {"viewer": viewer, "paper": found.paper, "version": shown, "decisions": decisions}
    thread = presenters.annotation(
        found,
        **common,
        reply_count=len(replies),
        dispositions=current_dispositions([found.id]),
        anchor_=anchor,
        made_on=found.version,
    )
    replies_ = [
        presenters.annotation(
            reply,
            **common,
            reply_count=children.get(reply.id, 0),
            root=found,
            anchor_=anchor,
            made_on=found.version,
        )
        for reply in replies
    ]
    return answer(schemas.Thread(**_fields(thread), replies=replies_))


def _fields(model: schemas.Annotation) -> dict[str, Any]:
    """The members a presenter set, to build a larger answer on them."""
    return {name: getattr(model, name) for name in model.model_fields_set}


@bp.patch(f"/annotations/{ANNOTATION_ID}")
@posting_limit
def edit_annotation(annotation_id: int):
    """Its author changes the body (and a suggestion's wording, and the language it is
    in); the old text is kept."""
    user = signed_in()
    found = _visible(annotation_id)
    change = validation.body(schemas.AnnotationChange)
    changes = change.model_dump(include={"proposed_text", "language"}, exclude_unset=True)
    services.edit(user, found, change.body if change.body is not None else found.body, **changes)
    answers = current_dispositions([found.id] if found.parent_id is None else [])
    count = queries.reply_count(found, user)
    return answer(_present(found, user, count, dispositions=answers))


@bp.delete(f"/annotations/{ANNOTATION_ID}")
def delete_annotation(annotation_id: int):
    """Its author deletes it: gone, or a placeholder while replies depend on it."""
    user = signed_in()
    services.delete(user, _visible(annotation_id))
    return "", 204


# --- a version's threads ----------------------------------------------------------------


@bp.get("/papers/<slug>/versions/<label>/annotations")
@public_page()
def version_annotations(slug: str, label: str):
    """The threads of a version (or of one section) the caller may see, a page at a time."""
    viewer = caller()
    paper, version = paper_version(slug, label)
    asked = validation.query(schemas.ThreadsQuery)
    cursor = None
    if asked.after is not None:
        cursor = _read_cursor(asked.after, asked.sort)
        if cursor is None:
            raise ApiError(
                400,
                schemas.ThreadsQuery.invalid_message,
                code="invalid_parameters",
                fields={"after": "must be the cursor given in `next`, with the same sort"},
            )
    section, sort = asked.section, asked.sort
    kind = AnnotationKind(asked.kind) if asked.kind is not None else None
    if section is not None and (
        "\x00" in section
        or db.session.scalar(
            select(Section.id).where(Section.version_id == version.id, Section.key == section)
        )
        is None
    ):
        message = f"Version {version.label} has no section '{section}'."
        raise ApiError(404, message, code="unknown_section", fields={"section": message})

    query = queries.threads_query(version, viewer, section=section, kind=kind, sort=sort)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if cursor is not None:
        reply_count = query.column_descriptions[1]["expr"]
        query = query.where(_after(cursor, sort, reply_count))
    rows = db.session.execute(query.limit(asked.limit + 1)).all()
    more = len(rows) > asked.limit
    rows = rows[: asked.limit]
    next_url = None
    if more:
        last, count, _anchor = rows[-1]
        kept = asked.model_dump(include={"section", "kind", "sort"}, exclude_unset=True)
        next_url = absolute_url(
            "api.version_annotations",
            slug=paper.slug,
            label=version.label,
            **{k: v for k, v in kept.items() if v is not None},
            limit=asked.limit,
            after=_write_cursor(last, count, sort),
        )
    decisions = decisions_for([root for root, _count, _anchor in rows], viewer)
    answers = current_dispositions(row[0].id for row in rows)
    items = [
        presenters.annotation(
            root,
            viewer=viewer,
            paper=paper,
            version=version,
            reply_count=count,
            decisions=decisions,
            dispositions=answers,
            anchor_=anchor,
        )
        for root, count, anchor in rows
    ]
    return answer(schemas.AnnotationList(items=items, total=total, next=next_url))


# Cursors are opaque to clients: base64url of the sort key of the last item given.
# A keyset on (created_at, id) – with the reply count first for sort=replies – keeps
# pages stable while threads are added.


def _write_cursor(root: Annotation, count: int, sort: str) -> str:
    key: dict[str, Any] = {"s": sort, "t": presenters.iso(root.created_at), "i": root.id}
    if sort == "replies":
        key["n"] = count
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(value: str, sort: str) -> dict[str, Any] | None:
    """The decoded cursor, or None when it is not one of ours for this sort."""
    if not value or len(value) > 200 or not value.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(key, dict) or key.get("s") != sort:
        return None
    ident, stamp = key.get("i"), key.get("t")
    if not _whole(ident) or not isinstance(stamp, str):
        return None
    try:
        created = datetime.fromisoformat(stamp)
        if created.tzinfo is None:
            return None
        # Near year 1 or 9999 an offset can carry the time past the calendar's end.
        created = created.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    cursor = {"created": created, "id": ident}
    if sort == "replies":
        count = key.get("n")
        if not _whole(count):
            return None
        cursor["count"] = count
    return cursor


def _whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_ID


def _after(cursor: dict[str, Any], sort: str, reply_count):
    created, ident = Annotation.created_at, Annotation.id
    if sort == "newest":
        return or_(
            created < cursor["created"], (created == cursor["created"]) & (ident < cursor["id"])
        )
    later = or_(
        created > cursor["created"], (created == cursor["created"]) & (ident > cursor["id"])
    )
    if sort == "replies":
        return or_(reply_count < cursor["count"], (reply_count == cursor["count"]) & later)
    return later
