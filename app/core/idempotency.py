"""Idempotency keys: a POST sent again with the same key is answered once, done once.

Why: a worker killed after its commit but before its answer left stores what the client
asked for, and the client, seeing no answer, sends it again. With an `Idempotency-Key`
the second request gets the first answer back and creates nothing.

How, within the one transaction of the request (`app.core.transaction`):

- `claim()` at its start inserts the record of the key, answer still empty, with
  `ON CONFLICT DO NOTHING`: one statement, no savepoint. The unique constraint on
  (account, key) decides between two requests with the same key: on PostgreSQL the
  second insert waits for the first transaction and, once it commits, inserts nothing;
  on SQLite writers queue (`BEGIN IMMEDIATE`), so the second finds the row already
  there. Either way the loser reads the stored answer instead of doing the work again.
- `complete()` at its end, before the commit, writes the answer beside what the request
  created: a crash stores both or neither.
- A request that did not succeed stores nothing, the key included (`release()`), so the
  client may correct the request and send it again with the same key.

Records older than `IDEMPOTENCY_TTL` seconds (a day) are ignored, and pruned a batch at
a time by every `PRUNE_EVERY`-th recorded answer: no command or timer is needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.errors import ServiceError
from app.extensions import db
from app.models import IdempotencyRecord
from app.models.base import utcnow
from app.models.limits import column_length

HEADER = "Idempotency-Key"
KEY_LENGTH = column_length(IdempotencyRecord, "key")
DEFAULT_TTL = 24 * 60 * 60
# Every PRUNE_EVERY-th recorded answer (by record id) deletes up to PRUNE_BATCH expired
# records: more than the answers in between can add, so the table shrinks back, while
# the other answers spend no statement on it.
PRUNE_EVERY = 16
PRUNE_BATCH = 100


@dataclass(frozen=True)
class Claim:
    """A key claimed by the running request: its record, answer still empty."""

    id: int


@dataclass(frozen=True)
class StoredAnswer:
    """What the first request with a key answered, to be sent again as it was."""

    status: int
    body: bytes
    content_type: str | None
    location: str | None


def time_to_live() -> timedelta:
    """How long a key is remembered (`IDEMPOTENCY_TTL`, in seconds; a day by default)."""
    return timedelta(seconds=int(current_app.config.get("IDEMPOTENCY_TTL", DEFAULT_TTL)))


def key_problem(key: str) -> str | None:
    """Why `key` cannot serve as an idempotency key, or None when it can."""
    if not key:
        return "must not be empty (send a new UUID for each request)"
    if len(key) > KEY_LENGTH:
        return f"must be at most {KEY_LENGTH} characters (a UUID is the usual key)"
    if not all(" " <= c <= "~" for c in key):
        return "must be printable ASCII characters only (a UUID is the usual key)"
    return None


def fingerprint(method: str, target: str, body: bytes) -> str:
    """sha256 of the request a key names: its method, path with query string, and body
    (in a canonical form, so that a retry that spells the same JSON differently is the
    same request). Each part is length-prefixed, so that no two requests share one."""
    digest = hashlib.sha256()
    for part in (method.upper().encode("ascii"), target.encode("utf-8"), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def claim(owner_id: int, key: str, request_fingerprint: str) -> Claim | StoredAnswer:
    """Claim `key` for this request, or give the answer stored under it.

    Returns the claim (to be completed by `complete()`), or the stored answer of the
    same request; refuses with 422 `idempotency_key_reused` when the key named another
    request, and with 409 `idempotency_key_in_flight` when the first request with the
    key has not finished in a way that can be read. A record of the key older than its
    time to live is forgotten, and the key claimed afresh. Writes through the session's
    transaction only.
    """
    claimed = _insert(owner_id, key, request_fingerprint)
    if claimed is not None:
        return claimed
    found = _found(owner_id, key)
    if found is not None and found.created_at < utcnow() - time_to_live():
        db.session.execute(
            delete(IdempotencyRecord)
            .where(IdempotencyRecord.id == found.id)
            .execution_options(synchronize_session=False)
        )
        claimed = _insert(owner_id, key, request_fingerprint)
        if claimed is not None:
            return claimed
        found = _found(owner_id, key)
    return _stored(found, request_fingerprint)


def _claiming(insert) -> Any:
    return (
        insert(IdempotencyRecord)
        .values(owner_id=bindparam("owner"), key=bindparam("claimed_key"),
                fingerprint=bindparam("request_fingerprint"), body=b"",
                created_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["owner_id", "key"])
        .returning(IdempotencyRecord.id)
    )  # fmt: skip


# The statements of every keyed POST, built once: building one costs more than running it.
_CLAIM = {"postgresql": _claiming(postgresql_insert), "sqlite": _claiming(sqlite_insert)}
_FOUND = (
    select(IdempotencyRecord)
    .where(IdempotencyRecord.owner_id == bindparam("owner"),
           IdempotencyRecord.key == bindparam("claimed_key"))
    .execution_options(populate_existing=True)
)  # fmt: skip
_ANSWER = (
    update(IdempotencyRecord)
    .where(IdempotencyRecord.id == bindparam("record_id"))
    .values(status=bindparam("answer_status"), body=bindparam("answer_body"),
            content_type=bindparam("answer_type"), location=bindparam("answer_location"))
    .execution_options(synchronize_session=False)
)  # fmt: skip


def _insert(owner_id: int, key: str, request_fingerprint: str) -> Claim | None:
    """Insert the key's record unless the account has one already: its claim, or None."""
    statement = _CLAIM[db.session.get_bind().dialect.name]
    values = {"owner": owner_id, "claimed_key": key,
              "request_fingerprint": request_fingerprint, "now": utcnow()}  # fmt: skip
    new_id = db.session.execute(statement, values).scalar()
    return None if new_id is None else Claim(new_id)


def _found(owner_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(_FOUND, {"owner": owner_id, "claimed_key": key})


def _stored(found: IdempotencyRecord | None, request_fingerprint: str) -> StoredAnswer:
    """The answer already stored under the key (the unique constraint said there is one)."""
    if found is None or found.status is None:
        # Its request has not committed an answer we can read (it was pruned, or is
        # still running where we cannot wait for it): the client may try again shortly.
        raise ServiceError(
            "A request with this Idempotency-Key is still being processed; "
            "send it again in a moment.",
            code="idempotency_key_in_flight",
            status=409,
            field=HEADER,
        )
    if found.fingerprint != request_fingerprint:
        raise ServiceError(
            "This Idempotency-Key was already used for another request (another body, "
            "path or method); use a new key for a new request.",
            code="idempotency_key_reused",
            status=422,
            field=HEADER,
        )
    return StoredAnswer(found.status, found.body, found.content_type, found.location)


def complete(
    claimed: Claim,
    status: int,
    body: bytes,
    content_type: str | None,
    location: str | None,
) -> None:
    """Store the answer under the claimed key (every `PRUNE_EVERY`-th answer also prunes
    a batch of expired records); the request's commit stores it with the rest of its work."""
    answer = {"record_id": claimed.id, "answer_status": status, "answer_body": body,
              "answer_type": content_type, "answer_location": location}  # fmt: skip
    db.session.execute(_ANSWER, answer)
    if claimed.id % PRUNE_EVERY == 0:
        prune()


def release(claimed: Claim) -> None:
    """Give up the claim of a request that did not succeed (its work is rolled back
    anyway, unless it answered without an error and without success, such as a 3xx)."""
    db.session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id == claimed.id)
        .execution_options(synchronize_session=False)
    )


def prune(batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` expired records; how many went. Rows another transaction is
    deleting are skipped (PostgreSQL's SKIP LOCKED), so that two requests never queue
    behind each other's pruning."""
    doomed = (
        select(IdempotencyRecord.id)
        .where(IdempotencyRecord.created_at < utcnow() - time_to_live())
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    statement = (
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id.in_(doomed))
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount
