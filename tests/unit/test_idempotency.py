"""The rules of idempotency keys, below HTTP: which keys serve, what a fingerprint
covers, and how expired records are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from app.core import idempotency
from app.models import IdempotencyRecord
from app.models.base import utcnow


@pytest.mark.parametrize("key", ["5f0c8a4e-2b1d-4c3a-9e7f-6a5b4c3d2e1f", "x", " ~", "k" * 255])
def test_printable_ascii_keys_up_to_255_characters_serve(key):
    assert idempotency.key_problem(key) is None


@pytest.mark.parametrize("key", ["", "k" * 256, "caf\xe9", "line\nbreak", "\x7f", "\u2603"])
def test_other_keys_do_not(key):
    assert idempotency.key_problem(key)


def test_a_fingerprint_covers_method_path_and_body_and_keeps_them_apart():
    base = idempotency.fingerprint("POST", "/api/v1/terms", b'json:{"label":"x"}')
    assert base == idempotency.fingerprint("post", "/api/v1/terms", b'json:{"label":"x"}')
    assert len(base) == 64
    assert base != idempotency.fingerprint("PUT", "/api/v1/terms", b'json:{"label":"x"}')
    assert base != idempotency.fingerprint("POST", "/api/v1/terms?a=1", b'json:{"label":"x"}')
    assert base != idempotency.fingerprint("POST", "/api/v1/terms", b'json:{"label":"y"}')
    # A part's end is not movable: "/a" + "bc" is not "/ab" + "c".
    assert idempotency.fingerprint("POST", "/a", b"bc") != idempotency.fingerprint(
        "POST", "/ab", b"c"
    )


def _multipart(boundary: str, content: bytes, note: str = "first") -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="note"\r\n\r\n'
            f"{note}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="5.1.md"\r\n'
            "Content-Type: text/markdown\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def _canonical(app, data: bytes, content_type: str) -> bytes:
    from app.api.idempotency import canonical_body

    with app.test_request_context("/", method="POST", data=data, content_type=content_type):
        return canonical_body()


def test_an_upload_sent_again_with_another_boundary_is_the_same_body(app):
    """Clients draw a new multipart boundary for each attempt; the fingerprint ignores it,
    and sees the file's content and the fields."""

    def body(boundary, content=b"# Title\n", note="first"):
        data = _multipart(boundary, content, note)
        return _canonical(app, data, f"multipart/form-data; boundary={boundary}")

    assert body("aaaa") == body("bbbbbbbb")
    assert body("aaaa") != body("aaaa", content=b"# Other title\n")
    assert body("aaaa") != body("aaaa", note="second")


def test_json_bodies_are_compared_by_meaning_and_others_byte_for_byte(app):
    spaced = _canonical(app, b'{ "b": 1,\n "a": [1, 2] }', "application/json")
    assert spaced == _canonical(app, b'{"a":[1,2],"b":1}', "application/json")
    assert spaced != _canonical(app, b'{"a":[2,1],"b":1}', "application/json")
    assert spaced != _canonical(app, b'{"a":[1,2],"b":1.0}', "application/json")
    broken = _canonical(app, b'{"a":', "application/json")
    assert broken != _canonical(app, b'{"a": ', "application/json")
    assert _canonical(app, b"x", "text/plain") != _canonical(app, b"x", "text/markdown")


def test_pruning_deletes_expired_records_a_batch_at_a_time(app, db, create_user):
    owner = create_user()
    old = utcnow() - timedelta(seconds=idempotency.DEFAULT_TTL + 60)
    for n, created_at in enumerate([old] * 5 + [utcnow()]):
        db.session.execute(
            insert(IdempotencyRecord).values(
                owner_id=owner.id, key=f"k{n}", fingerprint="0" * 64, status=201,
                body=b"{}", created_at=created_at,
            )
        )  # fmt: skip

    assert idempotency.prune(batch=2) == 2
    assert idempotency.prune(batch=10) == 3
    assert idempotency.prune(batch=10) == 0
    left = db.session.scalars(select(IdempotencyRecord.key)).all()
    assert left == ["k5"]
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_one_answer_in_prune_every_prunes_a_batch(app, db, create_user):
    """Recording an answer spends no statement on pruning, but for every PRUNE_EVERY-th
    (by record id), which deletes a batch: more than the answers in between added."""
    owner = create_user()
    old = utcnow() - timedelta(seconds=idempotency.DEFAULT_TTL + 60)
    db.session.execute(
        insert(IdempotencyRecord).values(
            owner_id=owner.id, key="stale", fingerprint="0" * 64, status=201, body=b"{}",
            created_at=old,
        )
    )  # fmt: skip
    pruned_by = []
    for n in range(idempotency.PRUNE_EVERY):
        claimed = idempotency.claim(owner.id, f"k{n}", "0" * 64)
        idempotency.complete(claimed, 201, b"{}", "application/json", None)
        if db.session.scalar(select(func.count()).where(IdempotencyRecord.key == "stale")) == 0:
            pruned_by.append(claimed.id)
            break
    assert len(pruned_by) == 1 and pruned_by[0] % idempotency.PRUNE_EVERY == 0
    assert idempotency.PRUNE_BATCH > idempotency.PRUNE_EVERY


def test_a_claimed_key_answers_its_stored_answer_then_a_fresh_claim_once_expired(
    app, db, create_user
):
    owner = create_user()
    claimed = idempotency.claim(owner.id, "key", "f" * 64)
    idempotency.complete(claimed, 201, b'{"id": 1}', "application/json", "/x/1")
    again = idempotency.claim(owner.id, "key", "f" * 64)
    assert again == idempotency.StoredAnswer(201, b'{"id": 1}', "application/json", "/x/1")
    db.session.execute(
        update(IdempotencyRecord).values(
            created_at=utcnow() - timedelta(seconds=idempotency.DEFAULT_TTL + 1)
        )
    )
    fresh = idempotency.claim(owner.id, "key", "0" * 64)
    assert isinstance(fresh, idempotency.Claim)
    [record] = db.session.scalars(
        select(IdempotencyRecord).execution_options(populate_existing=True)
    )
    assert (record.id, record.fingerprint, record.status) == (fresh.id, "0" * 64, None)
