"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

The document is a plain dict built here, next to the views it describes; a test
checks that every route under /api/v1 appears in it and that it is valid OpenAPI.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from flask import current_app, jsonify

from app.annotations.dispositions import MAX_RESPONSE_LENGTH
from app.annotations.services import MAX_BODY_LENGTH, MAX_LINKS
from app.api.blueprint import DEFAULT_LIMIT, MAX_LIMIT, bp
from app.core.anchoring import CONTEXT_LENGTH, MAX_QUOTE_LENGTH
from app.models import (
    AnnotationKind,
    AnnotationStatus,
    DispositionOutcome,
    FlagReason,
    ModerationAction,
    TargetKind,
    TargetType,
)
from app.moderation.queries import QUEUE_STATES
from app.moderation.services import MAX_NOTE_LENGTH, MAX_REASON_LENGTH
from app.moderation.targets import CONTENT_TYPES

ERROR_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "415": "UnsupportedMediaType",
    "422": "Unprocessable",
    "429": "TooManyRequests",
}

DESCRIPTION = f"""\
The JSON API of Think Paper Commons: versioned think papers, discussed section by section.

**Authentication.** Reading public content needs none. Writing needs an account: send
`Authorization: Bearer <token>` (a token from your account page or `flask users token`), or,
from a browser script on this site, the session cookie together with an `X-CSRFToken` header.
Without credentials a write answers 401; an account that may not take part (e-mail address not
confirmed, suspended) gets 403.

**Errors** are a 4xx status with `{{"error": {{"code", "message", "fields"?}}}}`; `fields` maps each
field at fault to the reason. Malformed JSON or a body that is not a JSON object answers 400
`invalid_json`; a body that is not `application/json` answers 415. Request bodies are read
strictly: **unknown fields are refused** (422, naming them) rather than ignored, so that a typo
does not silently lose data; types are not coerced (`"3"` or `true` is not a number, `3.0` is
not a whole number).

**Lists** are `{{"items": [...], "total": N, "next": "<url or null>"}}`. `limit` takes 1 to
{MAX_LIMIT} (default {DEFAULT_LIMIT}); follow `next`, whose `after` cursor is opaque and belongs
to the sort it was made with.

**Times** are ISO 8601 in UTC (`Z`). **Offsets** count Unicode code points in a section's
`text`, the section body exactly as a reader sees it (its `textContent`), heading excluded.

**Rate limits.** Creating and editing annotations (threads, replies and edits together) is
limited per account (10 a minute unless the site says otherwise); flags draw on the same
allowance. Moderators' decisions have their own (120 a minute unless the site
says otherwise). Beyond a limit the answer is 429 `rate_limited`.

**Moderation.** Participants flag annotations; moderators (and admins) read
`GET /moderation/queue` and decide with `POST /moderation/decisions`; every decision is one row
of an append-only log. An annotation's author and moderators see a `moderation` member on it
while it is pending, hidden or rejected; for everyone else, and for published or deleted
annotations, the member is absent.
"""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    if "type" in schema:
        schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
URL = {"type": "string", "format": "uri"}
# The statuses a queued item may have, over every kind of moderated content.
QUEUE_STATUSES = list(
    dict.fromkeys(str(s.value) for t in CONTENT_TYPES.values() for s in t.status_enum)
)


def _errors(*statuses: str) -> dict[str, Any]:
    return {
        status: {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"} for status in statuses
    }


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _schemas() -> dict[str, Any]:
    kinds = [k.value for k in AnnotationKind]
    targets = [t.value for t in TargetType]
    target_kinds = [k.value for k in TargetKind]
    flag_reasons = [r.value for r in FlagReason]
    actions = [a.value for a in ModerationAction]
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "Machine-readable: e.g. `invalid`, `invalid_json`, "
                            "`invalid_parameters`, `unauthorized`, `forbidden`, `not_found`, "
                            "`unknown_section`, `quote_not_found`, `empty`, `too_long`, "
                            "`too_many_links`, `parent_deleted`, `deleted`, "
                            "`comment_period_closed`, `csrf_failed`, `rate_limited`.",
                        },
                        "message": {"type": "string", "description": "For people."},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "Each field at fault (`quote.start` for nested "
                            "ones) and why.",
                        },
                        "line": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "For an error in a paper source: the line it stands on.",
                        },
                    },
                }
            },
        },
        "List": {
            "type": "object",
            "required": ["items", "total", "next"],
            "properties": {
                "items": {"type": "array", "items": {}},
                "total": {"type": "integer", "minimum": 0, "description": "Items in all pages."},
                "next": _nullable({**URL, "description": "The next page, or null at the end."}),
            },
        },
        "PaperItem": {
            "type": "object",
            "required": ["slug", "title", "number", "latest_version"],
            "properties": {
                "slug": STRING,
                "title": STRING,
                "number": _nullable(INTEGER),
                "series": STRING,
                "latest_version": {"type": "string", "examples": ["5.0"]},
                "url": URL,
            },
        },
        "PaperList": {
            "allOf": [
                _ref("List"),
                {"properties": {"items": {"type": "array", "items": _ref("PaperItem")}}},
            ]
        },
        "CommentPeriod": {
            "type": "object",
            "properties": {
                "opens": _nullable({"type": "string", "format": "date"}),
                "closes": _nullable({"type": "string", "format": "date"}),
                "state": {"enum": ["open", "upcoming", "closed", "none"]},
            },
        },
        "Paper": {
            "type": "object",
            "required": ["slug", "title", "authors", "latest_version", "versions"],
            "properties": {
                "slug": STRING,
                "title": STRING,
                "number": _nullable(INTEGER),
                "series": STRING,
                "authors": {"type": "array", "items": STRING},
                "editors": {"type": "array", "items": STRING},
                "latest_version": STRING,
                "comment_period": _ref("CommentPeriod"),
                "versions": {
                    "type": "array",
                    "description": "In publication order.",
                    "items": {
                        "type": "object",
                        "required": ["version", "published_at", "change_note"],
                        "properties": {
                            "version": STRING,
                            "published_at": TIME,
                            "date": _nullable({"type": "string", "format": "date"}),
                            "change_note": STRING,
                            "url": URL,
                        },
                    },
                },
                "html_url": URL,
            },
        },
        "Section": {
            "type": "object",
            "required": ["key", "number", "title", "level", "text"],
            "properties": {
                "key": {"type": "string", "description": "Ties the same section across versions."},
                "number": _nullable({"type": "string", "examples": ["3.2"]}),
                "title": STRING,
                "level": {"type": "integer", "minimum": 1},
                "parent": _nullable(STRING),
                "position": INTEGER,
                "text": {
                    "type": "string",
                    "description": "The body as a reader sees it; quote offsets count code "
                    "points in it.",
                },
                "html": {"type": "string", "description": "Sanitised HTML of the body."},
                "notes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"label": STRING, "text": STRING, "html": STRING},
                    },
                },
            },
        },
        "Version": {
            "type": "object",
            "required": ["version", "published_at", "sections"],
            "properties": {
                "paper": STRING,
                "version": STRING,
                "title": STRING,
                "authors": {"type": "array", "items": STRING},
                "editors": {"type": "array", "items": STRING},
                "date": _nullable({"type": "string", "format": "date"}),
                "published_at": TIME,
                "change_note": STRING,
                "acknowledgement": STRING,
                "sections": {"type": "array", "items": _ref("Section")},
                "html_url": URL,
            },
        },
        "NewVersion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["source"],
            "properties": {
                "source": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The whole Markdown source with its YAML front matter, "
                    "as in `papers/<slug>/<version>.md`; after the first version the front "
                    "matter needs a `change_note`.",
                }
            },
        },
        "Reanchoring": {
            "type": "object",
            "description": "How many threads of the previous version land in the new one, "
            "by status.",
            "required": ["exact", "moved", "fuzzy", "orphaned"],
            "properties": {
                name: {"type": "integer", "minimum": 0}
                for name in ("exact", "moved", "fuzzy", "orphaned")
            },
        },
        "PublishedVersion": {
            "allOf": [
                _ref("Version"),
                {
                    "type": "object",
                    "required": ["reanchoring"],
                    "properties": {"reanchoring": _ref("Reanchoring")},
                },
            ]
        },
        "VersionPreview": {
            "type": "object",
            "description": "What publishing would do (`dry_run=1`); nothing is stored.",
            "required": ["version", "sections", "reanchoring", "preview"],
            "properties": {
                "paper": STRING,
                "version": STRING,
                "title": STRING,
                "change_note": STRING,
                "published_at": {"type": "null"},
                "sections": {"type": "array", "items": _ref("Section")},
                "reanchoring": _ref("Reanchoring"),
                "preview": {
                    "type": "object",
                    "required": ["dry_run", "previous_version", "sha256", "sections", "threads"],
                    "properties": {
                        "dry_run": {"const": True},
                        "previous_version": _nullable(STRING),
                        "sha256": {
                            "type": "string",
                            "description": "SHA-256 of the source as it would be stored.",
                        },
                        "sections": {
                            "type": "array",
                            "description": "Every section of both versions, in the new "
                            "order; removed ones after their old predecessor.",
                            "items": {
                                "type": "object",
                                "required": ["fate", "labels", "old", "new", "similarity"],
                                "properties": {
                                    "fate": {
                                        "enum": [
                                            "added",
                                            "removed",
                                            "renamed",
                                            "moved",
                                            "changed",
                                            "unchanged",
                                        ]
                                    },
                                    "labels": {
                                        "type": "array",
                                        "description": "All that happened to it, `fate` "
                                        "first: e.g. renamed and changed.",
                                        "items": STRING,
                                    },
                                    "old": _nullable(_ref("SectionRef")),
                                    "new": _nullable(_ref("SectionRef")),
                                    "similarity": {"type": "number"},
                                },
                            },
                        },
                        "threads": {
                            "type": "array",
                            "description": "Each thread of the previous version and where "
                            "it would stand.",
                            "items": {
                                "type": "object",
                                "required": ["annotation", "status", "to_section"],
                                "properties": {
                                    "annotation": INTEGER,
                                    "section": {
                                        "type": "string",
                                        "description": "The section it was made on.",
                                    },
                                    "from_section": _nullable(STRING),
                                    "status": {"enum": ["exact", "moved", "fuzzy", "orphaned"]},
                                    "to_section": _nullable(STRING),
                                    "start": _nullable(INTEGER),
                                    "end": _nullable(INTEGER),
                                    "exact": _nullable(STRING),
                                    "score": _nullable({"type": "number"}),
                                },
                            },
                        },
                    },
                },
            },
        },
        "SectionRef": {
            "type": "object",
            "required": ["key", "number", "title"],
            "properties": {"key": STRING, "number": _nullable(STRING), "title": STRING},
        },
        "Author": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": INTEGER, "name": STRING},
        },
        "Quote": {
            "type": "object",
            "description": "W3C TextQuoteSelector and TextPositionSelector in the section's "
            f"`text`; `prefix` and `suffix` are up to {CONTEXT_LENGTH} characters of context.",
            "required": ["exact", "prefix", "suffix", "start", "end"],
            "properties": {
                "exact": STRING,
                "prefix": STRING,
                "suffix": STRING,
                "start": {"type": "integer", "minimum": 0},
                "end": {"type": "integer", "minimum": 1},
            },
        },
        "Anchor": {
            "type": "object",
            "description": "Where the thread stands in the version asked for. On its own "
            "version: its own place, status `exact`. In a later version: where re-anchoring "
            "placed it when that version was published — `exact` (its words, in its "
            "section), `moved` (its words, in another section), `fuzzy` (words close enough "
            "to its own; `exact` gives the new words) or `orphaned` (its words are gone: "
            "kept as a comment on earlier text; `section` is null when its section is gone "
            "too). `start`, `end` and `exact` are null for a comment on a whole section "
            "and for orphans.",
            "required": ["version", "section", "start", "end", "exact", "status"],
            "properties": {
                "version": STRING,
                "section": _nullable(STRING),
                "start": _nullable(INTEGER),
                "end": _nullable(INTEGER),
                "exact": _nullable(STRING),
                "status": {"enum": ["exact", "moved", "fuzzy", "orphaned"]},
            },
        },
        "Annotation": {
            "type": "object",
            "description": "A thread's root or a reply. A deleted contribution that still has "
            "replies stays as a placeholder: status `deleted`, `body` and `body_html` empty, "
            "`author` null (the words and the name go together).",
            "required": [
                "id",
                "paper",
                "version",
                "section",
                "kind",
                "body",
                "body_html",
                "author",
                "created",
                "updated",
                "parent",
                "root",
                "status",
                "quote",
                "anchor",
                "reply_count",
                "disposition",
            ],
            "properties": {
                "id": INTEGER,
                "paper": {"type": "string", "description": "The paper's slug."},
                "version": {"type": "string", "description": "The version it was made on."},
                "section": {"type": "string", "description": "The section's key."},
                "kind": {"enum": kinds, "description": "Replies are `comment`."},
                "body": {"type": "string", "description": "Markdown, exactly as written."},
                "body_html": {
                    "type": "string",
                    "description": "The body rendered and sanitised: no scripts, styles or "
                    "event handlers; links are http, https or mailto only.",
                },
                "author": _nullable(_ref("Author")),
                "created": TIME,
                "updated": TIME,
                "parent": _nullable({"type": "integer", "description": "null for a root."}),
                "root": {
                    "type": "integer",
                    "description": "The id of the thread's root (its own id for a root).",
                },
                "status": {"enum": [s.value for s in AnnotationStatus]},
                "quote": _nullable(_ref("Quote")),
                "anchor": _ref("Anchor"),
                "reply_count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "For a root, the visible replies in its thread; for a "
                    "reply, the visible direct answers to it.",
                },
                "disposition": {
                    **_nullable(_ref("Disposition")),
                    "description": "The editors' current answer to a thread (its latest "
                    "disposition); null while there is none, for replies, and for placeholders.",
                },
                "target": _nullable(
                    {"enum": targets, "description": "What a root is about; null for replies."}
                ),
                "depth": {"type": "integer", "minimum": 0, "description": "0 for a root."},
                "edited": {"type": "boolean"},
                "edited_at": _nullable(TIME),
                "proposed_text": _nullable(
                    {"type": "string", "description": "A suggestion's proposed wording."}
                ),
                "proposed_diff": _nullable(
                    {
                        "type": "array",
                        "description": "Word-level change from the quote to the proposed "
                        "wording: [op, text] pairs, op -1 deleted, 0 kept, 1 inserted.",
                        "items": {
                            "type": "array",
                            "prefixItems": [{"enum": [-1, 0, 1]}, STRING],
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    }
                ),
                "moderation": _ref("ModerationState"),
                "url": {**URL, "description": "The thread's page on the site."},
                "links": {
                    "type": "object",
                    "properties": {
                        "self": URL,
                        "html": URL,
                        "thread": URL,
                        "parent": URL,
                        "version": URL,
                    },
                },
            },
        },
        "Disposition": {
            "type": "object",
            "description": "An editors' answer to a thread. Answers are appended: the latest "
            "is the current one.",
            "required": ["outcome", "response", "response_html", "version", "editor", "created"],
            "properties": {
                "outcome": {"enum": [o.value for o in DispositionOutcome]},
                "response": {"type": "string", "description": "Markdown, exactly as written."},
                "response_html": {
                    "type": "string",
                    "description": "The response rendered and sanitised, as `body_html`.",
                },
                "version": _nullable(
                    {"type": "string", "description": "The version that answers the thread."}
                ),
                "editor": {
                    **_nullable(_ref("Author")),
                    "description": "null once the editor's account is gone.",
                },
                "created": TIME,
            },
        },
        "NewDisposition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["outcome"],
            "properties": {
                "outcome": {"enum": [o.value for o in DispositionOutcome]},
                "response": {
                    "type": "string",
                    "maxLength": MAX_RESPONSE_LENGTH,
                    "description": "Markdown; required for every outcome but `noted`.",
                },
                "version": _nullable(
                    {
                        "type": "string",
                        "description": "The label of a version of the thread's paper, later "
                        "than the thread's own, that answers it.",
                    }
                ),
            },
        },
        "Thread": {
            "description": "A root annotation with its thread.",
            "allOf": [
                _ref("Annotation"),
                {
                    "type": "object",
                    "required": ["replies"],
                    "properties": {
                        "replies": {
                            "type": "array",
                            "description": "Every reply the caller may see, at any depth, in "
                            "the order written (a flat list; rebuild the tree with `parent`).",
                            "items": _ref("Annotation"),
                        }
                    },
                },
            ],
        },
        "AnnotationList": {
            "allOf": [
                _ref("List"),
                {"properties": {"items": {"type": "array", "items": _ref("Annotation")}}},
            ]
        },
        "QuoteInput": {
            "type": "object",
            "additionalProperties": False,
            "required": ["exact"],
            "description": "With `start` and `end` the quote must stand exactly there. Without "
            "them it must occur once in the section, or once among the places where the given "
            "`prefix`/`suffix` agree.",
            "properties": {
                "exact": {"type": "string", "minLength": 1, "maxLength": MAX_QUOTE_LENGTH},
                "prefix": _nullable(STRING),
                "suffix": _nullable(STRING),
                "start": _nullable({"type": "integer", "minimum": 0}),
                "end": _nullable({"type": "integer", "minimum": 1}),
            },
        },
        "NewThread": {
            "type": "object",
            "title": "A new thread",
            "additionalProperties": False,
            "required": ["paper", "version", "section", "body"],
            "properties": {
                "paper": {"type": "string", "description": "The paper's slug."},
                "version": {"type": "string", "examples": ["5.0"]},
                "section": {"type": "string", "description": "The section's key."},
                "body": {
                    "type": "string",
                    "maxLength": MAX_BODY_LENGTH,
                    "description": f"Markdown; not blank; at most {MAX_LINKS} links.",
                },
                "kind": {"enum": kinds, "default": "comment"},
                "quote": _nullable(_ref("QuoteInput")),
                "target": _nullable(
                    {
                        "enum": targets,
                        "description": "Default: `passage` with a quote, else `section`. A "
                        "`paragraph` or `passage` needs a quote; a `section` takes none.",
                    }
                ),
                "proposed_text": _nullable(
                    {
                        "type": "string",
                        "maxLength": MAX_BODY_LENGTH,
                        "description": "Required for, and only for, kind `suggestion` (which "
                        "also needs a quote): the wording proposed instead of the quote.",
                    }
                ),
            },
        },
        "NewReply": {
            "type": "object",
            "title": "A reply",
            "additionalProperties": False,
            "required": ["parent", "body"],
            "properties": {
                "parent": {"type": "integer", "description": "The annotation answered."},
                "body": {"type": "string", "maxLength": MAX_BODY_LENGTH},
            },
        },
        "ModerationState": {
            "type": "object",
            "description": "Where an annotation stands with the moderators. Present only for "
            "its author and for moderators, and only while its status is pending, hidden or "
            "rejected; absent otherwise (never null). Given on every annotation answer, lists "
            "included.",
            "required": ["state", "reason", "decided_at"],
            "properties": {
                "state": {"enum": ["pending", "hidden", "rejected"]},
                "reason": _nullable(
                    {
                        "type": "string",
                        "description": "The reason given with the latest decision; null "
                        "while nobody has decided (a new pending contribution).",
                    }
                ),
                "decided_at": _nullable(TIME),
            },
        },
        "Target": {
            "type": "object",
            "description": "What a flag or a decision is about.",
            "required": ["type", "id"],
            "properties": {"type": {"enum": target_kinds}, "id": INTEGER},
        },
        "NewFlag": {
            "type": "object",
            "additionalProperties": False,
            "required": ["reason"],
            "properties": {
                "reason": {"enum": flag_reasons},
                "note": _nullable(
                    {
                        "type": "string",
                        "maxLength": MAX_NOTE_LENGTH,
                        "description": "What the moderators should know.",
                    }
                ),
            },
        },
        "Flag": {
            "type": "object",
            "required": ["id", "target", "reason", "note", "created"],
            "properties": {
                "id": INTEGER,
                "target": _ref("Target"),
                "reason": {"enum": flag_reasons},
                "note": {"type": "string", "description": "Empty when none was given."},
                "created": TIME,
                "reporter": {
                    **_ref("Author"),
                    "description": "Who raised it: in the moderation queue only.",
                },
            },
        },
        "AuthorRecord": {
            "type": "object",
            "description": "The author of a queued item, with how their contributions fared.",
            "required": [
                "id",
                "name",
                "joined",
                "published",
                "pending",
                "rejected",
                "hidden",
                "suspended",
                "restricted",
            ],
            "properties": {
                "id": INTEGER,
                "name": STRING,
                "joined": TIME,
                "published": {"type": "integer", "minimum": 0},
                "pending": {"type": "integer", "minimum": 0},
                "rejected": {"type": "integer", "minimum": 0},
                "hidden": {"type": "integer", "minimum": 0},
                "suspended": {"type": "boolean"},
                "restricted": {"type": "boolean"},
            },
        },
        "QueueItem": {
            "type": "object",
            "description": "One item waiting for a decision. By `target.type`, it carries "
            "`annotation`, `term`, `proposal` or `comment`, with the matching `context`.",
            "required": ["target", "state", "since", "status", "context", "author", "flags"],
            "properties": {
                "target": _ref("Target"),
                "state": {
                    "enum": ["pending", "flagged"],
                    "description": "`pending`: waits for approval (pre-moderation); `flagged`: "
                    "published or hidden, with open flags.",
                },
                "since": {
                    **TIME,
                    "description": "When it started waiting: its creation when pending, its "
                    "oldest open flag when flagged. The queue is sorted by it.",
                },
                "status": {"enum": QUEUE_STATUSES},
                "annotation": {
                    **_ref("Annotation"),
                    "description": "The annotation as moderators see it: with its words, even "
                    "when hidden.",
                },
                "term": {
                    "type": "object",
                    "description": "For a term: its label and aliases.",
                    "required": ["id", "slug", "label", "aliases", "author", "status"],
                    "properties": {
                        "id": INTEGER,
                        "slug": STRING,
                        "label": STRING,
                        "aliases": {"type": "array", "items": STRING},
                        "author": _nullable(_ref("Author")),
                        "status": STRING,
                        "created": TIME,
                        "html_url": URL,
                    },
                },
                "proposal": {
                    "type": "object",
                    "description": "For a definition proposal: its words, even when hidden.",
                    "required": ["id", "term", "text", "text_html", "rationale_html", "status"],
                    "properties": {
                        "id": INTEGER,
                        "term": _nullable(STRING),
                        "text": STRING,
                        "text_html": STRING,
                        "rationale": STRING,
                        "rationale_html": STRING,
                        "author": _nullable(_ref("Author")),
                        "status": STRING,
                        "created": TIME,
                        "html_url": _nullable(URL),
                    },
                },
                "comment": {
                    "type": "object",
                    "description": "For a comment on a proposal: its words, even when hidden.",
                    "required": ["id", "proposal", "parent", "body", "body_html", "status"],
                    "properties": {
                        "id": INTEGER,
                        "proposal": INTEGER,
                        "parent": _nullable(INTEGER),
                        "body": STRING,
                        "body_html": STRING,
                        "author": _nullable(_ref("Author")),
                        "status": STRING,
                        "created": TIME,
                        "html_url": _nullable(URL),
                    },
                },
                "context": {
                    "oneOf": [_ref("AnnotationQueueContext"), _ref("GlossaryQueueContext")],
                    "description": "Where the item stands: for an annotation, its paper, "
                    "section and thread; for a glossary item, its term and, for a comment, "
                    "the proposal it discusses and the comment it answers.",
                },
                "author": _nullable(_ref("AuthorRecord")),
                "flags": {
                    "type": "array",
                    "description": "Open flags, oldest first, each with its reporter.",
                    "items": _ref("Flag"),
                },
            },
        },
        "AnnotationQueueContext": {
            "type": "object",
            "required": ["paper", "version", "section", "quote", "root", "parent"],
            "properties": {
                "paper": STRING,
                "version": STRING,
                "section": {
                    "type": "object",
                    "required": ["key", "number", "title"],
                    "properties": {
                        "key": STRING,
                        "number": _nullable(STRING),
                        "title": _nullable(STRING),
                    },
                },
                "quote": {
                    **_nullable(_ref("Quote")),
                    "description": "The passage the thread is about (for a reply, its "
                    "thread's); null for a comment on a whole section.",
                },
                "root": _nullable({"type": "integer", "description": "null for a root."}),
                "parent": _nullable({"type": "integer", "description": "null for a root."}),
            },
        },
        "GlossaryQueueContext": {
            "type": "object",
            "required": ["term", "proposal", "parent"],
            "properties": {
                "term": _nullable(
                    {
                        "type": "object",
                        "required": ["id", "slug", "label", "status"],
                        "properties": {
                            "id": INTEGER,
                            "slug": STRING,
                            "label": STRING,
                            "status": STRING,
                        },
                    }
                ),
                "proposal": _nullable(
                    {
                        "type": "object",
                        "description": "For a comment: the proposal it discusses.",
                        "required": ["id", "text", "text_html", "author", "status"],
                        "properties": {
                            "id": INTEGER,
                            "text": STRING,
                            "text_html": STRING,
                            "author": _nullable(_ref("Author")),
                            "status": STRING,
                        },
                    }
                ),
                "parent": _nullable(
                    {
                        "type": "object",
                        "description": "For a reply: the comment it answers.",
                        "required": ["id", "body", "body_html", "author", "status"],
                        "properties": {
                            "id": INTEGER,
                            "body": STRING,
                            "body_html": STRING,
                            "author": _nullable(_ref("Author")),
                            "status": STRING,
                        },
                    }
                ),
            },
        },
        "ModerationQueue": {
            "allOf": [
                _ref("List"),
                {"properties": {"items": {"type": "array", "items": _ref("QueueItem")}}},
            ]
        },
        "NewDecision": {
            "type": "object",
            "additionalProperties": False,
            "required": ["target", "action", "reason"],
            "properties": {
                "target": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["type", "id"],
                    "properties": {
                        "type": {"enum": target_kinds},
                        "id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                    },
                },
                "action": {
                    "enum": actions,
                    "description": "Content (annotation, proposal, term): approve, reject "
                    "(pending only), hide, restore. Accounts (user): suspend, reinstate, "
                    "restrict, unrestrict.",
                },
                "reason": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_REASON_LENGTH,
                    "description": "Required, not blank; kept in the log and shown to the author.",
                },
                "until": _nullable(
                    {
                        "type": "string",
                        "description": "Only with `suspend`: when the suspension ends, in the "
                        "future. An ISO 8601 date (the suspension lasts through that day, "
                        "UTC, as on the site) or date-time (UTC unless it gives an offset). "
                        "Without it a suspension lasts until an account is reinstated.",
                        "examples": ["2030-01-31", "2030-01-31T12:00:00Z"],
                    }
                ),
            },
        },
        "Decision": {
            "type": "object",
            "description": "One row of the moderation log.",
            "required": [
                "id",
                "moderator",
                "target",
                "subject",
                "action",
                "old_state",
                "new_state",
                "reason",
                "created",
            ],
            "properties": {
                "id": INTEGER,
                "moderator": _nullable(_ref("Author")),
                "target": _ref("Target"),
                "subject": _nullable(
                    {
                        "type": "integer",
                        "description": "The account the decision concerns: the content's "
                        "author, or the account itself.",
                    }
                ),
                "action": {"enum": actions},
                "old_state": {
                    "type": "string",
                    "description": "pending, published, hidden, rejected; for accounts "
                    "active, suspended, restricted.",
                },
                "new_state": STRING,
                "reason": STRING,
                "created": TIME,
            },
        },
        "AnnotationChange": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "body": {"type": "string", "maxLength": MAX_BODY_LENGTH},
                "proposed_text": _nullable({"type": "string", "maxLength": MAX_BODY_LENGTH}),
            },
        },
    }


def _responses() -> dict[str, Any]:
    def error(description: str) -> dict[str, Any]:
        return {"description": description, "content": _json_content(_ref("Error"))}

    return {
        "BadRequest": error(
            "Malformed JSON or a body that is not an object (`invalid_json`), bad list "
            "parameters (`invalid_parameters`), or a cookie-authenticated write without a "
            "valid X-CSRFToken header (`csrf_failed`)."
        ),
        "Unauthorized": {
            **error("No valid credentials were sent (`unauthorized`)."),
            "headers": {"WWW-Authenticate": {"schema": STRING}},
        },
        "Forbidden": error("The account may not do this (`forbidden`, `comment_period_closed`)."),
        "NotFound": error("Nothing there, or nothing the caller may see."),
        "Conflict": error(
            "The state of things forbids it: the annotation is deleted or hidden, it was "
            "already flagged by this account (`already_flagged`), or someone decided a moment "
            "ago or the item's state does not allow the action (`conflict`)."
        ),
        "UnsupportedMediaType": error("The body was not sent as application/json."),
        "Unprocessable": error("A field is missing, of the wrong type, unknown, or breaks a rule."),
        "TooManyRequests": {
            **error("Rate limit reached (`rate_limited`); wait and try again."),
            "headers": {"Retry-After": {"schema": INTEGER}},
        },
    }


def _parameters() -> dict[str, Any]:
    return {
        "slug": {
            "name": "slug",
            "in": "path",
            "required": True,
            "schema": STRING,
            "description": "The paper's slug, e.g. `think-paper-1`.",
        },
        "label": {
            "name": "label",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "examples": ["5.0"]},
            "description": "A version label.",
        },
        "annotation_id": {
            "name": "annotation_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
            "description": "Items per page.",
        },
        "after": {
            "name": "after",
            "in": "query",
            "schema": STRING,
            "description": "The opaque cursor from the previous page's `next`; anything else "
            "answers 400 naming `after`.",
        },
        "section": {
            "name": "section",
            "in": "query",
            "schema": STRING,
            "description": "Only threads on this section (its key). An unknown key answers 404 "
            "`unknown_section`.",
        },
        "kind": {
            "name": "kind",
            "in": "query",
            "schema": {"enum": [k.value for k in AnnotationKind]},
            "description": "Only threads of this kind.",
        },
        "queue_state": {
            "name": "state",
            "in": "query",
            "schema": {"enum": list(QUEUE_STATES), "default": "all"},
            "description": "`pending` (waiting for approval), `flagged` (with open flags), or "
            "`all`.",
        },
        "queue_type": {
            "name": "type",
            "in": "query",
            "schema": {"enum": [k.value for k in CONTENT_TYPES]},
            "description": "Only items of this type.",
        },
        "flag_reason": {
            "name": "reason",
            "in": "query",
            "schema": {"enum": [r.value for r in FlagReason]},
            "description": "Only flagged items with an open flag for this reason.",
        },
        "queue_after": {
            "name": "after",
            "in": "query",
            "schema": STRING,
            "description": "The opaque cursor from the previous page's `next`; anything else "
            "answers 400 naming `after`. The queue changes as moderators decide: a page may "
            "repeat or skip an item that was decided meanwhile.",
        },
        "sort": {
            "name": "sort",
            "in": "query",
            "schema": {"enum": ["oldest", "newest", "replies"], "default": "oldest"},
            "description": "`oldest` or `newest` first, or most `replies` first (ties oldest "
            "first).",
        },
    }


def _p(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


READ_SECURITY = [{}, {"bearerAuth": []}, {"sessionCookie": []}]
WRITE_SECURITY = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]


def _paths() -> dict[str, Any]:
    annotation_answer = {"content": _json_content(_ref("Annotation"))}
    return {
        "/papers": {
            "get": {
                "operationId": "listPapers",
                "summary": "The published papers",
                "tags": ["papers"],
                "security": READ_SECURITY,
                "parameters": [_p("limit"), _p("after")],
                "responses": {
                    "200": {
                        "description": "A page of papers, by id.",
                        "content": _json_content(_ref("PaperList")),
                    },
                    **_errors("400"),
                },
            }
        },
        "/papers/{slug}": {
            "get": {
                "operationId": "getPaper",
                "summary": "One paper and its versions",
                "tags": ["papers"],
                "security": READ_SECURITY,
                "parameters": [_p("slug")],
                "responses": {
                    "200": {"description": "The paper.", "content": _json_content(_ref("Paper"))},
                    **_errors("404"),
                },
            }
        },
        "/papers/{slug}/versions": {
            "post": {
                "operationId": "publishVersion",
                "summary": "Editors publish a new version (or preview it with dry_run=1)",
                "description": "Series editors (and admins) only: 401 without credentials, "
                "403 for others. The source is checked as `flask papers import` checks it; an "
                "error answers 422 with `fields.source` = `line N: message` and `line` = N. "
                "A version number already published (even with the same source) or older "
                "than the latest answers 409. Publishing is atomic: the version, its "
                "sections and the anchors of the threads carried forward are stored "
                "together or not at all. An unknown paper answers 404: a paper's first "
                "version is imported with `flask papers import`. With `dry_run=1` nothing "
                "is stored and the answer (200) adds `preview`: the sections added, removed, "
                "renamed, moved and changed, and where each thread would land. At most 30 "
                "requests a minute per account, dry runs included (then 429).",
                "tags": ["papers"],
                "security": WRITE_SECURITY,
                "parameters": [
                    _p("slug"),
                    {
                        "name": "dry_run",
                        "in": "query",
                        "schema": {"enum": ["1", "0", "true", "false"], "default": "0"},
                        "description": "`1` (or `true`): preview only, store nothing.",
                    },
                ],
                "requestBody": {"required": True, "content": _json_content(_ref("NewVersion"))},
                "responses": {
                    "200": {
                        "description": "The preview (`dry_run=1`); nothing was stored.",
                        "content": _json_content(_ref("VersionPreview")),
                    },
                    "201": {
                        "description": "Published.",
                        "headers": {
                            "Location": {
                                "description": "/api/v1/papers/{slug}/versions/{version}",
                                "schema": STRING,
                            }
                        },
                        "content": _json_content(_ref("PublishedVersion")),
                    },
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            }
        },
        "/papers/{slug}/versions/{label}": {
            "get": {
                "operationId": "getVersion",
                "summary": "One version with its sections and their text",
                "tags": ["papers"],
                "security": READ_SECURITY,
                "parameters": [_p("slug"), _p("label")],
                "responses": {
                    "200": {
                        "description": "The version.",
                        "content": _json_content(_ref("Version")),
                    },
                    **_errors("404"),
                },
            }
        },
        "/papers/{slug}/versions/{label}/annotations": {
            "get": {
                "operationId": "listVersionThreads",
                "summary": "The threads of a version the caller may see",
                "description": "Roots only, each with its `reply_count`; fetch a thread's "
                "replies with `GET /annotations/{annotation_id}`. A deleted root appears "
                "while it has visible replies. `total` counts every page.",
                "tags": ["annotations"],
                "security": READ_SECURITY,
                "parameters": [
                    _p("slug"),
                    _p("label"),
                    _p("section"),
                    _p("kind"),
                    _p("sort"),
                    _p("limit"),
                    _p("after"),
                ],
                "responses": {
                    "200": {
                        "description": "A page of threads.",
                        "content": _json_content(_ref("AnnotationList")),
                    },
                    **_errors("400", "404"),
                },
            }
        },
        "/annotations": {
            "post": {
                "operationId": "createAnnotation",
                "summary": "Start a thread, or reply to an annotation",
                "description": "A body with `parent` is a reply (`parent` and `body` only); "
                "otherwise it starts a thread on a section, paragraph or passage of a version. "
                "An unknown paper or version answers 404, an unknown section 422 naming "
                "`section`, a missing parent 404, a deleted parent 409.",
                "tags": ["annotations"],
                "security": WRITE_SECURITY,
                "requestBody": {
                    "required": True,
                    "content": _json_content({"oneOf": [_ref("NewThread"), _ref("NewReply")]}),
                },
                "responses": {
                    "201": {
                        "description": "Created.",
                        "headers": {
                            "Location": {
                                "description": "/api/v1/annotations/{id}",
                                "schema": STRING,
                            }
                        },
                        **annotation_answer,
                    },
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            }
        },
        "/annotations/{annotation_id}": {
            "parameters": [_p("annotation_id")],
            "get": {
                "operationId": "getAnnotation",
                "summary": "One annotation; a root comes with its replies",
                "description": "404 when it does not exist or the caller may not see it. A "
                "root (`parent` null) includes `replies`, see `Thread`. With `version`, "
                "`anchor` says where the thread stands in that version of the same paper.",
                "tags": ["annotations"],
                "security": READ_SECURITY,
                "parameters": [
                    {
                        "name": "version",
                        "in": "query",
                        "schema": STRING,
                        "description": "A version label of the annotation's paper, its own "
                        "or a later one: `anchor` is its place there (a later version without "
                        "a place for it answers 404 `not_carried`). Default: its own version.",
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The annotation (a `Thread` for a root).",
                        "content": _json_content({"oneOf": [_ref("Thread"), _ref("Annotation")]}),
                    },
                    **_errors("404"),
                },
            },
            "patch": {
                "operationId": "editAnnotation",
                "summary": "Its author changes the body (or a suggestion's wording)",
                "description": "The earlier text is kept in the edit history; `edited` "
                "becomes true. Others get 403; a deleted placeholder 409.",
                "tags": ["annotations"],
                "security": WRITE_SECURITY,
                "requestBody": {
                    "required": True,
                    "content": _json_content(_ref("AnnotationChange")),
                },
                "responses": {
                    "200": {"description": "The annotation as it is now.", **annotation_answer},
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            },
            "delete": {
                "operationId": "deleteAnnotation",
                "summary": "Its author deletes it",
                "description": "While replies depend on it, a placeholder stays (status "
                "`deleted`, no body, no author) and takes no more replies; otherwise it is "
                "gone (404 afterwards).",
                "tags": ["annotations"],
                "security": WRITE_SECURITY,
                "responses": {
                    "204": {"description": "Deleted."},
                    **_errors("400", "401", "403", "404", "409"),
                },
            },
        },
        "/annotations/{annotation_id}/flags": {
            "parameters": [_p("annotation_id")],
            "post": {
                "operationId": "flagAnnotation",
                "summary": "Report an annotation to the moderators",
                "description": "Once per account and annotation. When enough accounts in good "
                "standing have flagged it (3 unless the site says otherwise), it is hidden "
                "until a moderator decides. 404 when the caller cannot see the annotation; 403 "
                "for one's own annotation (`own_content`) or an account that may not take "
                "part; 409 when already flagged by this account (`already_flagged`) or not "
                "published (`not_flaggable`: pending, hidden, deleted). No `Location`: flags "
                "are not resources of their own.",
                "tags": ["moderation"],
                "security": WRITE_SECURITY,
                "requestBody": {"required": True, "content": _json_content(_ref("NewFlag"))},
                "responses": {
                    "201": {
                        "description": "Flagged.",
                        "content": _json_content(_ref("Flag")),
                    },
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            },
        },
        "/annotations/{annotation_id}/disposition": {
            "parameters": [_p("annotation_id")],
            "post": {
                "operationId": "answerThread",
                "summary": "An editor answers a thread",
                "description": "Editors and admins only (others 403). The outcome is "
                "`accepted`, `partly_accepted`, `not_accepted` or `noted`; the response is "
                "required for all but `noted`. Answers are appended: answering again keeps "
                "the earlier answer as history, and the thread's `disposition` shows the "
                "latest. Not bound by the comment period. 422 naming `annotation` for a reply "
                "(answer its root), `outcome`, `response` (blank or too long) or `version` "
                "(unknown, or not later than the thread's own); 409 `not_answerable` for a "
                "thread that is not published; 404 when the caller cannot see it.",
                "tags": ["annotations"],
                "security": WRITE_SECURITY,
                "requestBody": {
                    "required": True,
                    "content": _json_content(_ref("NewDisposition")),
                },
                "responses": {
                    "201": {
                        "description": "Answered.",
                        "content": _json_content(_ref("Disposition")),
                    },
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            },
        },
        "/moderation/queue": {
            "get": {
                "operationId": "getModerationQueue",
                "summary": "What waits for a moderator's decision, oldest first",
                "description": "Moderators and admins only (others 403). Pending items and "
                "items with open flags, each with its context, its author's record and its "
                "flags. A bad filter answers 400 `invalid_parameters` naming it. The cost is a "
                "fixed number of queries whatever the page size.",
                "tags": ["moderation"],
                "security": [{"bearerAuth": []}, {"sessionCookie": []}],
                "parameters": [
                    _p("queue_state"),
                    _p("queue_type"),
                    _p("flag_reason"),
                    _p("limit"),
                    _p("queue_after"),
                ],
                "responses": {
                    "200": {
                        "description": "A page of the queue.",
                        "content": _json_content(_ref("ModerationQueue")),
                    },
                    **_errors("400", "401", "403"),
                },
            }
        },
        "/moderation/decisions": {
            "post": {
                "operationId": "decide",
                "summary": "A moderator's decision on content or an account",
                "description": "Moderators and admins only. Every decision needs a reason and "
                "writes one log row, returned here. Malformed JSON answers 400 "
                "(`invalid_json`); a field of the wrong type 422 (`invalid`, naming the field: "
                "`target`, `target.type`, `target.id`, `action`, `reason`, `until`); a value "
                "that breaks a rule 422 (`fields` names it: an unknown action, one that does "
                "not fit the target, a blank or too long reason, an `until` in the past or "
                "not with `suspend`). 403 on one's own content (`own_content`), own account, "
                "or staff of one's rank or above; 404 for an unknown target; 409 `conflict` "
                "when the item's state does not allow the action or another moderator decided "
                "it a moment ago (of two simultaneous decisions one wins).",
                "tags": ["moderation"],
                "security": WRITE_SECURITY,
                "requestBody": {"required": True, "content": _json_content(_ref("NewDecision"))},
                "responses": {
                    "201": {
                        "description": "Decided.",
                        "content": _json_content(_ref("Decision")),
                    },
                    **_errors("400", "401", "403", "404", "409", "415", "422", "429"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This description",
                "tags": ["meta"],
                "security": READ_SECURITY,
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def _version() -> str:
    try:
        return metadata.version("think-paper-commons")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document as a dict."""
    cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Think Paper Commons API",
            "version": _version(),
            "description": DESCRIPTION,
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [
            {"name": "papers", "description": "Papers, versions and their sections."},
            {"name": "annotations", "description": "Threads in the margin, and replies."},
            {"name": "moderation", "description": "Flags, the moderators' queue and decisions."},
            GLOSSARY_TAG,
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": {**_paths(), **_glossary_paths()},
        "components": {
            "schemas": {**_schemas(), **_glossary_schemas()},
            "responses": _responses(),
            "parameters": {**_parameters(), **_glossary_parameters()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token: `Authorization: Bearer <token>`. Requests "
                    "with one need no CSRF token.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie,
                    "description": "The site's session cookie, for scripts on its own pages.",
                },
                "csrfHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "With the session cookie, writes need the page's CSRF "
                    "token in this header (missing or wrong: 400 `csrf_failed`).",
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_document())


# --- the glossary -------------------------------------------------------------------------
# Kept apart from the rest and merged in `build_document`: terms, proposed definitions,
# votes, the discussion of proposals, the editors' decisions, and flags on all three.

GLOSSARY_TAG = {
    "name": "glossary",
    "description": "Key terms: participants start terms, propose definitions, vote and "
    "discuss; editors adopt one definition (as proposed or edited, its author still "
    "credited) or reject proposals with a reason, and manage aliases. Terms, proposals and "
    "comments of new accounts wait for a moderator (status `pending`) and are seen only by "
    "their author and moderators until then. Starting terms, proposing, commenting and "
    "flagging draw on the posting limit; votes have their own allowance (60 a minute unless "
    "the site says otherwise).",
}


def _glossary_parameters() -> dict[str, Any]:
    ident = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {
        "term_slug": {
            "name": "slug",
            "in": "path",
            "required": True,
            "schema": STRING,
            "description": "The term's slug, e.g. `public-value`.",
        },
        "proposal_id": {"name": "proposal_id", "in": "path", "required": True, "schema": ident},
        "comment_id": {
            "name": "comment_id",
            "in": "path",
            "required": True,
            "schema": ident,
            "description": "A comment on a definition proposal.",
        },
        "glossary_state": {
            "name": "state",
            "in": "query",
            "schema": {"enum": ["all", "adopted", "open", "none"], "default": "all"},
            "description": "`adopted`: terms with an adopted definition; `open`: without "
            "one but with open proposals; `none`: with neither; `all`.",
        },
        "glossary_after": {
            "name": "after",
            "in": "query",
            "schema": STRING,
            "description": "The cursor from the previous page's `next` (terms are in "
            "alphabetical order; it counts the terms given so far). Anything else answers "
            "400 naming `after`.",
        },
    }


def _glossary_schemas() -> dict[str, Any]:
    from app.definitions.services import (
        MAX_ALIASES,
        MAX_COMMENT_LENGTH,
        MAX_DEFINITION_LENGTH,
        MAX_LABEL_LENGTH,
        MAX_RATIONALE_LENGTH,
    )
    from app.definitions.services import MAX_REASON_LENGTH as MAX_EDITOR_REASON
    from app.models import CommentStatus, ProposalStatus, TermStatus, VoteStance

    stances = [s.value for s in VoteStance]
    counts = {
        "type": "object",
        "required": ["support", "oppose"],
        "properties": {
            "support": {"type": "integer", "minimum": 0},
            "oppose": {"type": "integer", "minimum": 0},
        },
    }
    author = _nullable(_ref("Author"))

    def text(limit: int, description: str) -> dict[str, Any]:
        return {"type": "string", "maxLength": limit, "description": description}

    return {
        "Term": {
            "type": "object",
            "required": [
                "slug",
                "label",
                "aliases",
                "status",
                "author",
                "created",
                "definition",
                "open_proposals",
                "url",
                "html_url",
            ],
            "properties": {
                "slug": STRING,
                "label": STRING,
                "aliases": {"type": "array", "items": STRING, "maxItems": MAX_ALIASES},
                "status": {"enum": [s.value for s in TermStatus]},
                "author": author,
                "created": TIME,
                "updated": TIME,
                "definition": {
                    **_nullable(_ref("Proposal")),
                    "description": "The adopted definition, or null.",
                },
                "open_proposals": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Open proposals the caller may see.",
                },
                "url": URL,
                "html_url": {**URL, "description": "The term's page, `/glossary/<slug>`."},
            },
        },
        "TermDetail": {
            "allOf": [
                _ref("Term"),
                {
                    "type": "object",
                    "required": ["proposals", "history"],
                    "properties": {
                        "proposals": {
                            "type": "array",
                            "items": _ref("Proposal"),
                            "description": "All but the adopted definition and its "
                            "predecessors: open ones by support (most supported first, then "
                            "least opposed, then oldest), then pending, then the rest "
                            "(withdrawn, rejected by an editor).",
                        },
                        "history": {
                            "type": "array",
                            "items": _ref("Proposal"),
                            "description": "Definitions adopted before the current one "
                            "(status `superseded`), newest first.",
                        },
                        "occurrences": {
                            "type": "array",
                            "description": "Where the term occurs in the current text (the "
                            "latest version) of each paper: whole words, case-insensitive, "
                            "aliases included; only in `GET /terms/{slug}`.",
                            "items": {
                                "type": "object",
                                "required": ["paper", "version", "section", "count"],
                                "properties": {
                                    "paper": {"type": "string"},
                                    "version": {"type": "string"},
                                    "section": {"type": "string"},
                                    "count": {"type": "integer", "minimum": 1},
                                },
                            },
                        },
                    },
                },
            ]
        },
        "TermList": {
            "allOf": [
                _ref("List"),
                {"properties": {"items": {"type": "array", "items": _ref("Term")}}},
            ]
        },
        "Proposal": {
            "type": "object",
            "required": [
                "id",
                "term",
                "text",
                "text_html",
                "rationale",
                "rationale_html",
                "author",
                "status",
                "votes",
                "my_vote",
                "created",
                "adopted",
                "superseded_at",
                "editor_reason",
            ],
            "properties": {
                "id": INTEGER,
                "term": {**STRING, "description": "The term's slug."},
                "text": {**STRING, "description": "The definition as proposed (Markdown)."},
                "text_html": {**STRING, "description": "Its sanitised HTML."},
                "rationale": {**STRING, "description": "Rationale or source; may be empty."},
                "rationale_html": STRING,
                "author": author,
                "status": {"enum": [s.value for s in ProposalStatus]},
                "votes": counts,
                "my_vote": {
                    "enum": [*stances, None],
                    "description": "The caller's vote (null: none, or anonymous).",
                },
                "created": TIME,
                "updated": TIME,
                "adopted": _nullable(
                    {
                        "type": "object",
                        "required": ["at", "by", "text", "text_html"],
                        "properties": {
                            "at": TIME,
                            "by": author,
                            "text": {
                                **STRING,
                                "description": "The wording adopted: the editor's when "
                                "edited, else the proposal's text.",
                            },
                            "text_html": STRING,
                            "edited": {"type": "boolean"},
                        },
                    }
                ),
                "superseded_at": _nullable(TIME),
                "editor_reason": _nullable({**STRING, "description": "Why an editor rejected it."}),
                "url": URL,
            },
        },
        "ProposalDetail": {
            "allOf": [
                _ref("Proposal"),
                {
                    "type": "object",
                    "required": ["comments"],
                    "properties": {
                        "comments": {
                            "type": "array",
                            "items": _ref("ProposalComment"),
                            "description": "The discussion the caller may see, oldest first.",
                        }
                    },
                },
            ]
        },
        "ProposalComment": {
            "type": "object",
            "required": [
                "id",
                "proposal",
                "parent",
                "body",
                "body_html",
                "author",
                "status",
                "created",
            ],
            "properties": {
                "id": INTEGER,
                "proposal": INTEGER,
                "parent": _nullable({**INTEGER, "description": "The comment it answers."}),
                "body": STRING,
                "body_html": STRING,
                "author": author,
                "status": {"enum": [s.value for s in CommentStatus]},
                "created": TIME,
            },
        },
        "Vote": {
            "type": "object",
            "required": ["proposal", "stance", "votes"],
            "properties": {
                "proposal": INTEGER,
                "stance": {"enum": stances},
                "created": TIME,
                "updated": TIME,
                "votes": {**counts, "description": "The proposal's counts after the vote."},
            },
        },
        "NewTerm": {
            "type": "object",
            "additionalProperties": False,
            "required": ["label"],
            "properties": {
                "label": text(MAX_LABEL_LENGTH, "The term; unique whatever its case."),
                "definition": _nullable(
                    text(MAX_DEFINITION_LENGTH, "A first proposed definition (Markdown).")
                ),
                "rationale": _nullable(
                    text(MAX_RATIONALE_LENGTH, "Its rationale or source; only with one.")
                ),
            },
        },
        "NewProposal": {
            "type": "object",
            "additionalProperties": False,
            "required": ["text"],
            "properties": {
                "text": text(MAX_DEFINITION_LENGTH, "The definition (Markdown)."),
                "rationale": _nullable(text(MAX_RATIONALE_LENGTH, "Rationale or source.")),
            },
        },
        "NewVote": {
            "type": "object",
            "additionalProperties": False,
            "required": ["stance"],
            "properties": {"stance": {"enum": stances}},
        },
        "Adoption": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "text": _nullable(
                    text(
                        MAX_DEFINITION_LENGTH,
                        "An edited wording to adopt; leave it out to adopt the text as proposed.",
                    )
                ),
            },
        },
        "Rejection": {
            "type": "object",
            "additionalProperties": False,
            "required": ["reason"],
            "properties": {"reason": text(MAX_EDITOR_REASON, "Why; shown with the proposal.")},
        },
        "Aliases": {
            "type": "object",
            "additionalProperties": False,
            "required": ["aliases"],
            "properties": {
                "aliases": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": MAX_LABEL_LENGTH},
                    "description": f"Variants and plurals (at most {MAX_ALIASES}); the list "
                    "replaces the term's aliases, `[]` removes them.",
                }
            },
        },
        "NewProposalComment": {
            "type": "object",
            "additionalProperties": False,
            "required": ["body"],
            "properties": {
                "body": text(MAX_COMMENT_LENGTH, "Markdown."),
                "parent": _nullable({**INTEGER, "description": "The comment answered."}),
            },
        },
    }


def _glossary_paths() -> dict[str, Any]:
    writes = ("400", "401", "403", "404", "409", "415", "422", "429")

    def ok(description: str, schema: str) -> dict[str, Any]:
        return {"description": description, "content": _json_content(_ref(schema))}

    def body(schema: str, required: bool = True) -> dict[str, Any]:
        return {"required": required, "content": _json_content(_ref(schema))}

    def flag(operation_id: str, what: str, parameter: str) -> dict[str, Any]:
        return {
            "parameters": [_p(parameter)],
            "post": {
                "operationId": operation_id,
                "summary": f"Report {what} to the moderators",
                "description": "As for annotations: `{reason, note?}`, once per account and "
                "item; enough flags hide it until a moderator decides. 404 when the caller "
                "cannot see it; 403 for one's own (`own_content`); 409 when already flagged "
                "by this account (`already_flagged`) or not published (`not_flaggable`: "
                "pending, hidden, withdrawn, adopted).",
                "tags": ["glossary", "moderation"],
                "security": WRITE_SECURITY,
                "requestBody": body("NewFlag"),
                "responses": {"201": ok("Flagged.", "Flag"), **_errors(*writes)},
            },
        }

    location = {"Location": {"schema": STRING}}
    return {
        "/terms": {
            "get": {
                "operationId": "listTerms",
                "summary": "The glossary, A–Z",
                "description": "Terms the caller may see, each with its adopted definition "
                "and the number of open proposals. The cost is a fixed number of queries "
                "whatever the number of terms.",
                "tags": ["glossary"],
                "security": READ_SECURITY,
                "parameters": [_p("glossary_state"), _p("limit"), _p("glossary_after")],
                "responses": {"200": ok("A page of terms.", "TermList"), **_errors("400")},
            },
            "post": {
                "operationId": "createTerm",
                "summary": "Start a term, with a first proposed definition",
                "description": "Participants with a confirmed account. A label or alias "
                "already in use (whatever its case and spacing) answers 409 `duplicate`; "
                "a blank or too long label or definition 422 naming it (a definition given "
                "must not be blank: leave it out to start a term without one). Answers the "
                "term as `GET /terms/{slug}` does.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("NewTerm"),
                "responses": {
                    "201": {**ok("Created.", "TermDetail"), "headers": location},
                    **_errors(*writes),
                },
            },
        },
        "/terms/{slug}": {
            "parameters": [_p("term_slug")],
            "get": {
                "operationId": "getTerm",
                "summary": "One term: its definition, proposals and history",
                "description": "404 when it does not exist or the caller may not see it (a "
                "pending term is seen by its author and moderators only).",
                "tags": ["glossary"],
                "security": READ_SECURITY,
                "responses": {"200": ok("The term.", "TermDetail"), **_errors("404")},
            },
        },
        "/terms/{slug}/proposals": {
            "parameters": [_p("term_slug")],
            "post": {
                "operationId": "proposeDefinition",
                "summary": "Propose a definition of a term",
                "description": "409 `term_unavailable` when the term takes no proposals "
                "(awaiting review, unless it is one's own).",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("NewProposal"),
                "responses": {
                    "201": {**ok("Proposed.", "Proposal"), "headers": location},
                    **_errors(*writes),
                },
            },
        },
        "/terms/{slug}/aliases": {
            "parameters": [_p("term_slug")],
            "put": {
                "operationId": "setTermAliases",
                "summary": "Editors set a term's aliases",
                "description": "Editors and admins (others 403). An alias naming another "
                "term answers 409 `duplicate`; aliases equal to the label or to each other "
                "are dropped.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("Aliases"),
                "responses": {"200": ok("The term.", "TermDetail"), **_errors(*writes)},
            },
        },
        "/terms/{slug}/flags": flag("flagTerm", "a term", "term_slug"),
        "/proposals/{proposal_id}": {
            "parameters": [_p("proposal_id")],
            "get": {
                "operationId": "getProposal",
                "summary": "One proposal with its discussion",
                "tags": ["glossary"],
                "security": READ_SECURITY,
                "responses": {"200": ok("The proposal.", "ProposalDetail"), **_errors("404")},
            },
        },
        "/proposals/{proposal_id}/vote": {
            "parameters": [_p("proposal_id")],
            "put": {
                "operationId": "voteOnProposal",
                "summary": "Support or oppose a proposal",
                "description": "One vote per account, which it may change by voting again; "
                "two requests at once still leave one vote. 403 `own_proposal` on one's own "
                "proposal; 409 `closed` unless the proposal is open.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("NewVote"),
                "responses": {"200": ok("The vote.", "Vote"), **_errors(*writes)},
            },
            "delete": {
                "operationId": "withdrawVote",
                "summary": "Withdraw one's vote",
                "description": "204 whether or not there was a vote.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "responses": {
                    "204": {"description": "No vote remains."},
                    **_errors("400", "401", "403", "404"),
                },
            },
        },
        "/proposals/{proposal_id}/comments": {
            "parameters": [_p("proposal_id")],
            "post": {
                "operationId": "commentOnProposal",
                "summary": "Discuss a proposal, or answer a comment",
                "description": "An unknown `parent` answers 404 naming it; a parent on "
                "another proposal 409. 409 `proposal_unavailable` when the proposal takes "
                "no comments (hidden, rejected). `Location` is the proposal's.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("NewProposalComment"),
                "responses": {
                    "201": {**ok("Posted.", "ProposalComment"), "headers": location},
                    **_errors(*writes),
                },
            },
        },
        "/proposals/{proposal_id}/withdraw": {
            "parameters": [_p("proposal_id")],
            "post": {
                "operationId": "withdrawProposal",
                "summary": "Its author withdraws a proposal",
                "description": "No body (or `{}`). Others 403; 409 `closed` once it is "
                "adopted, rejected or withdrawn.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": {
                    "required": False,
                    "content": _json_content({"type": "object", "additionalProperties": False}),
                },
                "responses": {"200": ok("Withdrawn.", "Proposal"), **_errors(*writes)},
            },
        },
        "/proposals/{proposal_id}/adopt": {
            "parameters": [_p("proposal_id")],
            "post": {
                "operationId": "adoptProposal",
                "summary": "Editors adopt a proposal as the term's definition",
                "description": "Editors and admins (others 403). Without a body, or with "
                "`{}`, the text as proposed; with `{text}`, an edited wording (the proposal "
                "keeps its text and its author stays credited). The definition adopted before "
                "becomes `superseded` and joins the term's history. An open or superseded "
                "proposal may be adopted; others answer 409 `closed`, a term awaiting review "
                "409 `term_unavailable`.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("Adoption", required=False),
                "responses": {
                    "200": ok("The term's adopted definition.", "Proposal"),
                    **_errors(*writes),
                },
            },
        },
        "/proposals/{proposal_id}/reject": {
            "parameters": [_p("proposal_id")],
            "post": {
                "operationId": "rejectProposal",
                "summary": "Editors reject an open proposal, saying why",
                "description": "Editors and admins (others 403). The reason is shown with "
                "the proposal (`editor_reason`), which stays on the term's record. 409 "
                "`closed` unless the proposal is open.",
                "tags": ["glossary"],
                "security": WRITE_SECURITY,
                "requestBody": body("Rejection"),
                "responses": {"200": ok("Rejected.", "Proposal"), **_errors(*writes)},
            },
        },
        "/proposals/{proposal_id}/flags": flag("flagProposal", "a proposal", "proposal_id"),
        "/proposal-comments/{comment_id}/flags": flag(
            "flagProposalComment", "a comment on a proposal", "comment_id"
        ),
    }
