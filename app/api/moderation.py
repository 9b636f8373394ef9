"""JSON API for moderation: participants flag annotations; moderators read the queue and decide.

The queue lists every kind of moderated content: an annotation item embeds `annotation`,
a glossary item `term`, `proposal` or `comment`, each with its own `context`.

Views stay thin, as in `app.api.annotations`: authenticate (401), authorise (403), read
the JSON strictly (400 for malformed JSON, 415 when it is not JSON, 422 for wrong types
and for values that break a rule), call one service, answer. The
services decide as a compare-and-set, so two moderators deciding the same item at
once get one 201 and one 409 `conflict`, and the log gets one row.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select, union_all

from app.annotations import queries as annotation_queries
from app.annotations.limits import posting_limit
from app.api import presenters, schemas, validation
from app.api.blueprint import ANNOTATION_ID, allowed, answer, bp, created
from app.core.errors import ApiError
from app.core.permissions import can_flag, can_moderate
from app.core.ratelimits import account_key
from app.core.urls import absolute_url
from app.extensions import db, limiter
from app.models import Annotation, FlagReason, TargetKind
from app.moderation import queries, services


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


# --- flags ------------------------------------------------------------------------------


def flagger():
    """The account raising a flag: 401 without one, 403 when it may not flag."""
    return allowed(can_flag, "Log in with a confirmed account to flag contributions.")


def flag(kind: TargetKind, item: Any, user: Any):
    """Report `item` to the moderators, `{reason, note?}`: 201 with the flag."""
    new = validation.body(schemas.NewFlag)
    row = services.flag(user, kind, item, new.reason, new.note)
    return created(presenters.flag(row))


@bp.post(f"/annotations/{ANNOTATION_ID}/flags")
@posting_limit
def flag_annotation(annotation_id: int):
    """Report an annotation to the moderators: `{reason, note?}`, once per account."""
    user = flagger()
    found = annotation_queries.get_visible(annotation_id, user)
    if found is None:
        raise ApiError(404, f"no annotation {annotation_id}")
    return flag(TargetKind.ANNOTATION, found, user)


# --- the queue --------------------------------------------------------------------------


@bp.get("/moderation/queue")
def moderation_queue():
    """What waits for a decision, oldest first: pending items and items with open flags."""
    moderator = _moderator()
    asked = validation.query(schemas.QueueQuery)
    limit, after = asked.limit, asked.after
    kind = TargetKind(asked.type) if asked.type is not None else None
    reason = FlagReason(asked.reason) if asked.reason is not None else None
    page = queries.queue(state=asked.state, kind=kind, reason=reason, limit=limit, offset=after)
    annotations = [e.item for e in page.entries if e.kind is TargetKind.ANNOTATION]
    counts = _reply_counts(annotations, moderator)
    decisions = queries.latest_decisions(TargetKind.ANNOTATION, [a.id for a in annotations])
    items = [
        presenters.queue_annotation(
            entry,
            viewer=moderator,
            reply_count=counts.get(entry.item.id, 0),
            decisions=decisions,
        )
        if entry.kind is TargetKind.ANNOTATION
        else presenters.QUEUE_GLOSSARY_PRESENTERS[entry.kind](entry)
        for entry in page.entries
        if entry.kind is TargetKind.ANNOTATION or entry.kind in presenters.QUEUE_GLOSSARY_PRESENTERS
    ]
    next_url = None
    if page.has_more:
        kept = asked.model_dump(include={"state", "type", "reason"}, exclude_unset=True)
        # The queue is ordered by time, not by id: the cursor counts the items given so far.
        next_url = absolute_url(
            "api.moderation_queue",
            **{k: v for k, v in kept.items() if v is not None},
            limit=limit,
            after=after + limit,
        )
    return answer(schemas.ModerationQueue(items=items, total=page.total, next=next_url))


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
    new = validation.body(schemas.NewDecision)
    target = services.parse_target(new.target.type, new.target.id)
    action = services.parse_action(new.action)
    row = services.decide(moderator, target, action, new.reason, until=new.until)
    return created(presenters.decision(row, moderator))
