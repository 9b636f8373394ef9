"""JSON API for moderation: participants flag annotations; moderators read the queue and decide.

The queue lists every kind of moderated content: an annotation item embeds `annotation`,
a glossary item `term`, `proposal` or `comment`, each with its own `context`.

Views stay thin, as in `app.api.annotations`: authenticate (401), authorise (403), read
the JSON strictly (400 for malformed JSON, 415 when it is not JSON, 422 for wrong types
and for values that break a rule), call one service, commit once, answer. The
services decide as a compare-and-set, so two moderators deciding the same item at
once get one 201 and one 409 `conflict`, and the log gets one row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select, union_all

from app.annotations import queries as annotation_queries
from app.annotations.limits import posting_limit
from app.api import serializers
from app.api.blueprint import (
    ANNOTATION_ID,
    Fields,
    allowed,
    bp,
    created,
    json_object,
    json_type,
    page_params,
)
from app.core.errors import ApiError
from app.core.permissions import can_flag, can_moderate
from app.core.ratelimits import account_key
from app.extensions import db, limiter
from app.models import Annotation, FlagReason, TargetKind
from app.moderation import queries, services
from app.moderation.targets import CONTENT_TYPES

FLAG_FIELDS = frozenset({"reason", "note"})
DECISION_FIELDS = frozenset({"target", "action", "reason", "until"})
TARGET_FIELDS = frozenset({"type", "id"})


def _decision_rate() -> str:
    return current_app.config["MODERATION_RATE_LIMIT"]


# Decisions have their own, generous allowance: a moderator working through the queue
# must not be slowed by the posting limit, but a runaway script is stopped.
decision_limit = limiter.limit(
    _decision_rate,
    key_func=account_key,
    error_message="Too many decisions at once. Please wait a minute and try again.",
)


# --- shared -----------------------------------------------------------------------------


def _moderator():
    """The moderator making the request: 401 without an account, 403 for others."""
    return allowed(can_moderate, "Only moderators may do this.")


def _wrong_types(problems: dict[str, str]) -> None:
    if problems:
        raise ApiError(
            422,
            "The body has fields of the wrong type; `fields` says which.",
            code="invalid",
            fields=problems,
        )


# --- flags ------------------------------------------------------------------------------


@bp.post(f"/annotations/{ANNOTATION_ID}/flags")
@posting_limit
def flag_annotation(annotation_id: int):
    """Report an annotation to the moderators: `{reason, note?}`, once per account."""
    user = allowed(can_flag, "Log in with a confirmed account to flag contributions.")
    found = annotation_queries.get_visible(annotation_id, user)
    if found is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    data = json_object()
    fields = Fields()
    fields.unknown(data, FLAG_FIELDS)
    if "reason" not in data:
        fields.bad("reason", f"required: one of {', '.join(r.value for r in FlagReason)}")
    reason = fields.text(data.get("reason"), "reason") if "reason" in data else None
    note = fields.text(data.get("note"), "note", nullable=True)
    fields.raise_if_any()
    flag = services.flag(user, TargetKind.ANNOTATION, found, reason, note)
    return created(serializers.flag_json(flag))


# --- the queue --------------------------------------------------------------------------


@bp.get("/moderation/queue")
def moderation_queue():
    """What waits for a decision, oldest first: pending items and items with open flags."""
    moderator = _moderator()
    limit, after = page_params()
    args = request.args
    problems: dict[str, str] = {}
    state = args.get("state", "all")
    if state not in queries.QUEUE_STATES:
        problems["state"] = f"must be one of {', '.join(queries.QUEUE_STATES)}"
    kind = None
    if args.get("type") is not None:
        kinds = [k.value for k in CONTENT_TYPES]
        if args["type"] not in kinds:
            problems["type"] = f"must be one of {', '.join(kinds)}"
        else:
            kind = TargetKind(args["type"])
    reason = None
    if args.get("reason") is not None:
        try:
            reason = FlagReason(args["reason"])
        except ValueError:
            problems["reason"] = f"must be one of {', '.join(r.value for r in FlagReason)}"
    if problems:
        raise ApiError(400, "invalid list parameters", code="invalid_parameters", fields=problems)

    page = queries.queue(state=state, kind=kind, reason=reason, limit=limit, offset=after)
    annotations = [e.item for e in page.entries if e.kind is TargetKind.ANNOTATION]
    counts = _reply_counts(annotations, moderator)
    decisions = queries.latest_decisions(TargetKind.ANNOTATION, [a.id for a in annotations])
    items = [
        serializers.queue_item_json(
            entry, reply_count=counts.get(entry.item.id, 0), decisions=decisions
        )
        if entry.kind is TargetKind.ANNOTATION
        else serializers.QUEUE_GLOSSARY_SERIALIZERS[entry.kind](entry)
        for entry in page.entries
        if entry.kind is TargetKind.ANNOTATION
        or entry.kind in serializers.QUEUE_GLOSSARY_SERIALIZERS
    ]
    next_url = None
    if page.has_more:
        kept = {k: args[k] for k in ("state", "type", "reason") if args.get(k) is not None}
        # The queue is ordered by time, not by id: the cursor counts the items given so far.
        next_url = url_for(
            "api.moderation_queue", **kept, limit=limit, after=after + limit, _external=True
        )
    return jsonify({"items": items, "total": page.total, "next": next_url})


def _reply_counts(annotations: list[Annotation], viewer: Any) -> dict[int, int]:
    """Replies the viewer may see: in the thread of each root, or directly under each reply.

    One query for the whole page.
    """
    roots = [a.id for a in annotations if a.parent_id is None]
    replies = [a.id for a in annotations if a.parent_id is not None]
    if not annotations:
        return {}
    visible = annotation_queries.visible_to(viewer)
    parts = []
    if roots:
        parts.append(
            select(Annotation.root_id.label("id"), func.count(Annotation.id).label("n"))
            .where(Annotation.root_id.in_(roots), visible)
            .group_by(Annotation.root_id)
        )
    if replies:
        parts.append(
            select(Annotation.parent_id.label("id"), func.count(Annotation.id).label("n"))
            .where(Annotation.parent_id.in_(replies), visible)
            .group_by(Annotation.parent_id)
        )
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    return {ident: n for ident, n in db.session.execute(query).all()}


# --- decisions --------------------------------------------------------------------------


@bp.post("/moderation/decisions")
@decision_limit
def moderation_decision():
    """A moderator decides: `{target: {type, id}, action, reason, until?}` → the log row."""
    moderator = _moderator()
    data = json_object()
    types: dict[str, str] = {}
    fields = Fields()
    fields.unknown(data, DECISION_FIELDS)
    for name in ("target", "action", "reason"):
        if name not in data:
            fields.bad(name, "required")
    raw_target = data.get("target")
    kind = target_id = None
    if "target" in data:
        if not isinstance(raw_target, dict):
            types["target"] = f"must be an object {{type, id}}, not {json_type(raw_target)}"
        else:
            fields.unknown(raw_target, TARGET_FIELDS, prefix="target.")
            for name in ("type", "id"):
                if name not in raw_target:
                    fields.bad(f"target.{name}", "required")
            kind = raw_target.get("type")
            target_id = raw_target.get("id")
            if "type" in raw_target and not isinstance(kind, str):
                types["target.type"] = f"must be a string, not {json_type(kind)}"
            if "id" in raw_target and (
                isinstance(target_id, bool) or not isinstance(target_id, int)
            ):
                types["target.id"] = f"must be a whole number, not {json_type(target_id)}"
    for name in ("action", "reason"):
        if name in data and not isinstance(data[name], str):
            types[name] = f"must be a string, not {json_type(data[name])}"
    until = None
    if data.get("until") is not None:
        if not isinstance(data["until"], str):
            types["until"] = (
                f"must be an ISO 8601 date or date-time, not {json_type(data['until'])}"
            )
        else:
            until = _parse_until(data["until"])
            if until is None:
                fields.bad("until", "must be an ISO 8601 date (2030-01-31) or date-time")
    _wrong_types(types)
    fields.raise_if_any()

    target = services.parse_target(kind, target_id)
    action = services.parse_action(data["action"])
    row = services.decide(moderator, target, action, data["reason"], until=until)
    return created(serializers.decision_json(row, moderator))


def _parse_until(value: str) -> datetime | None:
    """An ISO 8601 date (the suspension lasts through that day, UTC, as on the account
    page) or date-time (UTC unless it says otherwise); None when it is neither."""
    value = value.strip()
    if not value or len(value) > 40 or not value.isascii():
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.max, UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
