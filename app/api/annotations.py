"""JSON API for annotations: start threads, reply, read, edit and delete, list a version's threads.

Views stay thin: authenticate (401), authorise (403), read the JSON strictly (400, 415,
422), load what it names (404), call one service, commit once, answer. Input is checked
before any service runs, and unknown fields are refused rather than ignored, so that a
typo (`qoute`) is an error instead of a comment silently posted without its quote.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import load_only

from app.annotations import queries, services
from app.annotations.dispositions import current_dispositions
from app.annotations.limits import posting_limit
from app.api import serializers
from app.api.blueprint import (
    ANNOTATION_ID,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    Fields,
    allowed,
    bp,
    json_object,
    json_type,
    signed_in,
)
from app.core.errors import ApiError
from app.core.permissions import can_annotate, can_read_words
from app.extensions import db
from app.models import (
    Anchor,
    Annotation,
    AnnotationKind,
    ModerationLog,
    PaperVersion,
    Section,
    TargetKind,
    TargetType,
)
from app.moderation import queries as moderation_queries
from app.papers import queries as paper_queries
from app.papers.queries import VERSION_COLUMNS

ROOT_FIELDS = frozenset(
    {"paper", "version", "section", "body", "kind", "quote", "target", "proposed_text"}
)
REPLY_FIELDS = frozenset({"parent", "body"})
QUOTE_FIELDS = frozenset({"exact", "prefix", "suffix", "start", "end"})
PATCH_FIELDS = frozenset({"body", "proposed_text"})

INVALID = "The annotation is not valid; `fields` says what to change."


def _require(data: dict, names: tuple[str, ...], fields: Fields) -> None:
    for name in names:
        if name not in data:
            fields.bad(name, "required")


def _participant():
    """The account making a write: 401 without one, 403 when it may not take part."""
    return allowed(can_annotate, "Log in with a confirmed account to take part.")


def _paper_version(slug: str, label: str):
    """The paper and version named in a URL or a body, or a 404 saying which is unknown."""
    if "\x00" in slug:
        raise ApiError(404, "no such paper", fields={"paper": "unknown paper"})
    found = paper_queries.paper_with_versions(slug)
    if found is None:
        raise ApiError(404, f"no paper '{slug}'", fields={"paper": "unknown paper"})
    paper, versions = found
    version = next((v for v in versions if v.label == label), None)
    if version is None:
        known = ", ".join(v.label for v in versions)
        raise ApiError(
            404,
            f"paper '{slug}' has no version '{label}' (versions: {known})",
            fields={"version": "unknown version"},
        )
    return paper, version


def _visible(annotation_id: int) -> Annotation:
    annotation = queries.get_visible(annotation_id, current_user)
    if annotation is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    return annotation


def _decisions(annotations: list[Annotation]) -> dict[int, ModerationLog]:
    """The latest decisions on those of `annotations` whose moderation the caller is told
    about (their own, or any for moderators, while pending, hidden or rejected): one query
    at most."""
    ids = [a.id for a in annotations if serializers.shows_moderation(a)]
    return moderation_queries.latest_decisions(TargetKind.ANNOTATION, ids)


def _thread_root(annotation: Annotation) -> Annotation:
    """The root of an annotation's thread (itself for a root): at most one query."""
    if annotation.parent_id is None:
        return annotation
    return db.session.get(Annotation, annotation.root_id)


def _json_of(
    annotation: Annotation, reply_count: int, *, shown_in: PaperVersion | None = None, **extra
) -> dict[str, Any]:
    return serializers.annotation_json(
        annotation,
        paper=annotation.paper,
        version=shown_in or annotation.version,
        reply_count=reply_count,
        root=_thread_root(annotation),
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
    user = _participant()
    data = json_object()
    create = _create_reply if "parent" in data else _create_root
    annotation, body = create(user, data)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.annotation", annotation_id=annotation.id)
    return response


def _create_root(user, data: dict) -> tuple[Annotation, dict]:
    fields = Fields(INVALID)
    fields.unknown(data, ROOT_FIELDS)
    _require(data, ("paper", "version", "section", "body"), fields)
    slug = fields.text(data.get("paper"), "paper") if "paper" in data else None
    label = fields.text(data.get("version"), "version") if "version" in data else None
    key = fields.text(data.get("section"), "section") if "section" in data else None
    body = fields.text(data.get("body"), "body") if "body" in data else None
    kind = AnnotationKind.COMMENT
    if data.get("kind") is not None:
        kind = fields.choice(data["kind"], "kind", AnnotationKind)
    target = None
    if data.get("target") is not None:
        target = fields.choice(data["target"], "target", TargetType)
    proposed = fields.text(data.get("proposed_text"), "proposed_text", nullable=True)
    quote = _quote_input(data.get("quote"), fields) if data.get("quote") is not None else None
    if target is TargetType.SECTION and data.get("quote") is not None:
        fields.bad("target", "a comment on a whole section has no quote; use passage")
    if key is not None and not key.strip():
        fields.bad("section", "required")
    fields.raise_if_any()

    paper, version = _paper_version(slug, label)
    # The section is a field of the body: unknown, the request cannot be processed (422).
    section = services.find_section(version, key)
    annotation = services.create_thread(
        user,
        paper,
        version,
        section,
        body,
        kind=kind,
        quote=quote,
        target=target,
        proposed_text=proposed,
    )
    body_json = serializers.annotation_json(
        annotation, paper=paper, version=version, reply_count=0, author=user
    )
    return annotation, body_json


def _quote_input(raw: Any, fields: Fields) -> services.QuoteInput | None:
    if not isinstance(raw, dict):
        fields.bad(
            "quote",
            f"must be an object {{exact, prefix?, suffix?, start?, end?}}, not {json_type(raw)}",
        )
        return None
    fields.unknown(raw, QUOTE_FIELDS, prefix="quote.")
    if "exact" not in raw:
        fields.bad("quote.exact", "required")
    exact = fields.text(raw.get("exact"), "quote.exact") if "exact" in raw else None
    prefix = fields.text(raw.get("prefix"), "quote.prefix", nullable=True)
    suffix = fields.text(raw.get("suffix"), "quote.suffix", nullable=True)
    start = fields.integer(raw.get("start"), "quote.start")
    end = fields.integer(raw.get("end"), "quote.end")
    if exact is None or any(f.startswith("quote") for f in fields.problems):
        return None
    return services.QuoteInput(exact=exact, prefix=prefix, suffix=suffix, start=start, end=end)


def _create_reply(user, data: dict) -> tuple[Annotation, dict]:
    fields = Fields(INVALID)
    for name in sorted(set(data) - REPLY_FIELDS):
        if name in ROOT_FIELDS:
            fields.bad(name, "a reply takes only `parent` and `body`: it joins its parent's thread")
        else:
            fields.bad(name, "unknown field (allowed in a reply: body, parent)")
    _require(data, ("body",), fields)
    parent_id = fields.integer(data["parent"], "parent", nullable=False)
    body = fields.text(data.get("body"), "body") if "body" in data else None
    fields.raise_if_any()

    parent = None
    if 1 <= parent_id <= MAX_ID:
        parent = queries.get_visible(parent_id, user)
    if parent is None:
        raise ApiError(
            404, f"no annotation {parent_id} to reply to", fields={"parent": "no such annotation"}
        )
    annotation = services.reply(user, parent, body)
    body_json = serializers.annotation_json(
        annotation,
        paper=parent.paper,
        version=parent.version,
        reply_count=0,
        root=_thread_root(parent),
        author=user,
    )
    return annotation, body_json


# --- one annotation ---------------------------------------------------------------------


@bp.get(f"/annotations/{ANNOTATION_ID}")
def annotation(annotation_id: int):
    """One annotation; a root comes with its thread's visible replies, oldest first."""
    found = _visible(annotation_id)
    shown, anchor = _place_in(_thread_root(found), request.args.get("version"))
    shown = shown or found.version
    if found.parent_id is not None:
        count = queries.reply_count(found, current_user)
        own = found.version
        return jsonify(_json_of(found, count, shown_in=shown, anchor=anchor, made_on=own))
    replies = queries.thread_replies(found, current_user)
    if not replies and not can_read_words(current_user, found):
        # A placeholder keeps its replies' place; with none left there is nothing to show.
        raise ApiError(404, f"no annotation {annotation_id}")
    children: dict[int, int] = {}
    for reply in replies:
        children[reply.parent_id] = children.get(reply.parent_id, 0) + 1
    decisions = _decisions([found, *replies])
    body = serializers.annotation_json(
        found,
        paper=found.paper,
        version=shown,
        reply_count=len(replies),
        decisions=decisions,
        dispositions=current_dispositions([found.id]),
        anchor=anchor,
        made_on=found.version,
    )
    body["replies"] = [
        serializers.annotation_json(
            reply,
            paper=found.paper,
            version=shown,
            reply_count=children.get(reply.id, 0),
            root=found,
            decisions=decisions,
            anchor=anchor,
            made_on=found.version,
        )
        for reply in replies
    ]
    return jsonify(body)


@bp.patch(f"/annotations/{ANNOTATION_ID}")
@posting_limit
def edit_annotation(annotation_id: int):
    """Its author changes the body (and a suggestion's wording); the old text is kept."""
    user = signed_in()
    found = _visible(annotation_id)
    data = json_object()
    fields = Fields(INVALID)
    fields.unknown(data, PATCH_FIELDS)
    if not set(data) & PATCH_FIELDS:
        fields.bad("body", "required (or proposed_text, for a suggestion)")
    body = fields.text(data["body"], "body") if "body" in data else found.body
    changes: dict[str, Any] = {}
    if "proposed_text" in data:
        changes["proposed_text"] = fields.text(
            data["proposed_text"], "proposed_text", nullable=True
        )
    fields.raise_if_any()
    services.edit(user, found, body, **changes)
    answers = current_dispositions([found.id] if found.parent_id is None else [])
    answer = _json_of(found, queries.reply_count(found, user), dispositions=answers)
    return jsonify(answer)


@bp.delete(f"/annotations/{ANNOTATION_ID}")
def delete_annotation(annotation_id: int):
    """Its author deletes it: gone, or a placeholder while replies depend on it."""
    user = signed_in()
    found = _visible(annotation_id)
    services.delete(user, found)
    return "", 204


# --- a version's threads ----------------------------------------------------------------


@bp.get("/papers/<slug>/versions/<label>/annotations")
def version_annotations(slug: str, label: str):
    """The threads of a version (or of one section) the caller may see, a page at a time."""
    paper, version = _paper_version(slug, label)
    args = request.args
    problems: dict[str, str] = {}
    kind = None
    if args.get("kind") is not None:
        try:
            kind = AnnotationKind(args["kind"])
        except ValueError:
            problems["kind"] = f"must be one of {', '.join(k.value for k in AnnotationKind)}"
    sort = args.get("sort", "oldest")
    if sort not in queries.SORTS:
        problems["sort"] = f"must be one of {', '.join(queries.SORTS)}"
    limit = DEFAULT_LIMIT
    if args.get("limit") is not None:
        raw = args["limit"]
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
            problems["limit"] = f"must be a whole number from 1 to {MAX_LIMIT}"
        else:
            limit = int(raw)
    cursor = None
    if args.get("after") is not None and "sort" not in problems:
        cursor = _read_cursor(args["after"], sort)
        if cursor is None:
            problems["after"] = "must be the cursor given in `next`, with the same sort"
    if problems:
        raise ApiError(400, "invalid list parameters", code="invalid_parameters", fields=problems)
    section = args.get("section")
    if section is not None and (
        "\x00" in section
        or db.session.scalar(
            select(Section.id).where(Section.version_id == version.id, Section.key == section)
        )
        is None
    ):
        message = f"Version {version.label} has no section '{section}'."
        raise ApiError(404, message, code="unknown_section", fields={"section": message})

    query = queries.threads_query(version, current_user, section=section, kind=kind, sort=sort)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if cursor is not None:
        reply_count = query.column_descriptions[1]["expr"]
        query = query.where(_after(cursor, sort, reply_count))
    rows = db.session.execute(query.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        last, count, _anchor = rows[-1]
        kept = {k: args[k] for k in ("section", "kind", "sort") if args.get(k) is not None}
        next_url = url_for(
            "api.version_annotations",
            slug=paper.slug,
            label=version.label,
            **kept,
            limit=limit,
            after=_write_cursor(last, count, sort),
            _external=True,
        )
    decisions = _decisions([root for root, _count, _anchor in rows])
    answers = current_dispositions(row[0].id for row in rows)
    items = [
        serializers.annotation_json(
            root,
            paper=paper,
            version=version,
            reply_count=count,
            decisions=decisions,
            dispositions=answers,
            anchor=anchor,
        )
        for root, count, anchor in rows
    ]
    return jsonify({"items": items, "total": total, "next": next_url})


# Cursors are opaque to clients: base64url of the sort key of the last item given.
# A keyset on (created_at, id) – with the reply count first for sort=replies – keeps
# pages stable while threads are added.


def _write_cursor(root: Annotation, count: int, sort: str) -> str:
    key: dict[str, Any] = {"s": sort, "t": serializers.iso(root.created_at), "i": root.id}
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
    except ValueError:
        return None
    if created.tzinfo is None:
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
