"""`Idempotency-Key` on the API's POSTs: a client whose answer was lost sends the request
again with the same key, gets the first answer back and creates nothing twice.

Every POST route of the API is walked (a new one without a recipe here fails the walk);
rows are counted in every table. Two requests racing with one key, and a retry arriving
while the first is still in flight, are played on both databases.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from app.core import idempotency
from app.models import IdempotencyRecord, Role
from app.models.base import utcnow
from tests.unit.test_publishing import source_51
from tests.web.test_api_annotations import API, auth, error_of, open_for_comments, root, token_for
from tests.web.test_csrf_bearer import log_in

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
VERSIONS_URL = f"{API}/papers/think-paper-1/versions"


def new_key() -> str:
    return str(uuid.uuid4())


def send(client, token, url, body=None, key=None, **kwargs):
    """POST `body` as JSON (None: no body), with the key when one is given."""
    headers = {**auth(token), **({HEADER: key} if key is not None else {})}
    headers.update(kwargs.pop("headers", {}))
    if body is not None:
        kwargs["json"] = body
    return client.post(url, headers=headers, **kwargs)


def every_row(db) -> dict[str, int]:
    """How many rows each table holds (the keys' own records aside), as committed."""
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != IdempotencyRecord.__tablename__
    }


def everything(db) -> dict[str, list]:
    """Every stored row, as committed: what a retry must leave exactly as it was. (API
    tokens, whose last use each request notes, and the keys' own records aside.)"""
    db.session.rollback()
    skipped = {IdempotencyRecord.__tablename__, "api_tokens"}
    return {
        table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
        for table in db.metadata.sorted_tables
        if table.name not in skipped
    }


def records(db) -> list[IdempotencyRecord]:
    db.session.rollback()
    return list(db.session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))


def added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


# --- a world in which every POST of the API can succeed -------------------------------------


@pytest.fixture
def world(client, paper, db, create_user, create_annotation):
    """Think Paper 1 open for comments; a participant's thread, a newcomer's thread waiting
    for a moderator, a term with a proposal and a comment on it; a token for each role."""
    open_for_comments(paper, db)
    author, other = create_user(name="Author"), create_user(name="Other")
    tokens = {
        "author": token_for(author, db),
        "other": token_for(other, db),
        "editor": token_for(create_user(Role.EDITOR), db),
        "moderator": token_for(create_user(Role.MODERATOR), db),
    }
    thread = create_annotation("Please define 'public value'.", author=author)
    pending = create_annotation("My first comment.", author=create_user(trusted=False))
    term = send(
        client, tokens["author"], f"{API}/terms", {"label": "Public value", "definition": "Ours."}
    ).get_json()
    proposal_id = term["proposals"][0]["id"]
    comment = send(
        client, tokens["other"], f"{API}/proposals/{proposal_id}/comments", {"body": "Too broad."}
    ).get_json()
    return {
        "tokens": tokens,
        "thread": thread.id,
        "pending": pending.id,
        "term": term["slug"],
        "proposal": proposal_id,
        "comment": comment["id"],
    }


# endpoint → who sends what where, in a `world`: (token name, path, JSON body or None)
RECIPES = {
    "publish_version": lambda w: ("editor", "/papers/think-paper-1/versions", {
        "source": source_51()}),
    "create_annotation": lambda w: ("author", "/annotations", root()),
    "answer_thread": lambda w: ("editor", f"/annotations/{w['thread']}/disposition", {
        "outcome": "noted", "response": "Thank you."}),
    "flag_annotation": lambda w: ("other", f"/annotations/{w['thread']}/flags", {
        "reason": "spam"}),
    "moderation_decision": lambda w: ("moderator", "/moderation/decisions", {
        "target": {"type": "annotation", "id": w["pending"]}, "action": "approve",
        "reason": "Within the rules."}),
    "create_term": lambda w: ("author", "/terms", {"label": "Open government"}),
    "create_proposal": lambda w: ("other", f"/terms/{w['term']}/proposals", {
        "text": "What citizens value."}),
    "create_comment": lambda w: ("author", f"/proposals/{w['proposal']}/comments", {
        "body": "Agreed."}),
    "withdraw": lambda w: ("author", f"/proposals/{w['proposal']}/withdraw", None),
    "adopt": lambda w: ("editor", f"/proposals/{w['proposal']}/adopt", None),
    "reject": lambda w: ("editor", f"/proposals/{w['proposal']}/reject", {
        "reason": "Too narrow."}),
    "flag_term": lambda w: ("other", f"/terms/{w['term']}/flags", {"reason": "off_topic"}),
    "flag_proposal": lambda w: ("other", f"/proposals/{w['proposal']}/flags", {"reason": "spam"}),
    "flag_comment": lambda w: ("author", f"/proposal-comments/{w['comment']}/flags", {
        "reason": "abuse"}),
}  # fmt: skip


def test_every_post_route_of_the_api_is_walked(app):
    """A new POST route needs a recipe here, and so is checked by the walk below."""
    posts = {
        rule.endpoint.removeprefix("api.")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and "POST" in rule.methods
    }
    assert posts == set(RECIPES)


@pytest.mark.parametrize("endpoint", sorted(RECIPES))
def test_a_retry_with_the_key_gets_the_first_answer_and_creates_nothing(
    client, db, world, endpoint
):
    who, path, body = RECIPES[endpoint](world)
    token, key = world["tokens"][who], new_key()
    before = everything(db)

    first = send(client, token, API + path, body, key)
    assert 200 <= first.status_code < 300, first.get_data(as_text=True)
    assert REPLAYED not in first.headers
    after_first = everything(db)
    assert after_first != before, "the first request changed nothing"

    again = send(client, token, API + path, body, key)
    assert again.status_code == first.status_code
    assert again.get_data() == first.get_data()
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers[REPLAYED] == "true"
    assert everything(db) == after_first

    other = send(client, token, API + path, {"something": "else"}, key)
    error = error_of(other, 422)
    assert error["code"] == "idempotency_key_reused"
    assert set(error["fields"]) == {HEADER}
    assert everything(db) == after_first
    [record] = records(db)
    assert record.key == key and record.status == first.status_code


def test_without_a_key_a_retry_creates_again(client, db, world):
    """What the key prevents: the same thread, sent twice, is two threads."""
    token = world["tokens"]["author"]
    before = every_row(db)["annotations"]
    for _ in range(2):
        assert send(client, token, f"{API}/annotations", root()).status_code == 201
    assert every_row(db)["annotations"] == before + 2
    assert records(db) == []  # nothing is kept for requests without a key


def test_the_same_json_spelled_otherwise_is_the_same_request(client, db, world):
    token, key = world["tokens"]["author"], new_key()
    first = send(client, token, f"{API}/annotations", root(body="Spacing."), key)
    spelled = '{ "body": "Spacing.",\n "section": "introduction", "version": "5.0",' + (
        ' "paper": "think-paper-1" }'
    )
    headers = {**auth(token), HEADER: key, "Content-Type": "application/json"}
    again = client.post(f"{API}/annotations", data=spelled, headers=headers)
    assert again.headers.get(REPLAYED) == "true"
    assert again.get_json() == first.get_json()


def test_the_same_key_on_another_path_or_with_a_query_is_refused(client, db, world):
    token, key = world["tokens"]["editor"], new_key()
    assert send(client, token, f"{API}/terms", {"label": "Openness"}, key).status_code == 201
    before = every_row(db)
    elsewhere = send(client, token, f"{API}/terms?x=1", {"label": "Openness"}, key)
    assert error_of(elsewhere, 422)["code"] == "idempotency_key_reused"
    anywhere = send(client, token, VERSIONS_URL, {"source": source_51()}, key)
    assert error_of(anywhere, 422)["code"] == "idempotency_key_reused"
    assert every_row(db) == before


def test_keys_belong_to_the_account_not_the_token_or_the_session(
    csrf_client, db, world, create_user
):
    """Two accounts may pick the same key; one account's key is the same whether it comes
    with a bearer token or the session cookie."""
    key = new_key()
    alice, bob = create_user(name="Alice"), create_user(name="Bob")
    alice_token, bob_token = token_for(alice, db), token_for(bob, db)
    before = every_row(db)["annotations"]

    first = send(csrf_client, alice_token, f"{API}/annotations", root(), key)
    other_account = send(csrf_client, bob_token, f"{API}/annotations", root(), key)
    assert first.status_code == other_account.status_code == 201
    assert REPLAYED not in other_account.headers
    assert first.get_json()["id"] != other_account.get_json()["id"]
    assert every_row(db)["annotations"] == before + 2

    csrf = log_in(csrf_client, alice)
    by_cookie = send(csrf_client, None, f"{API}/annotations", root(), key,
                     headers={"X-CSRFToken": csrf})  # fmt: skip
    assert by_cookie.headers.get(REPLAYED) == "true"
    assert by_cookie.get_json() == first.get_json()
    assert every_row(db)["annotations"] == before + 2
    assert {(r.owner_id, r.key) for r in records(db)} == {(alice.id, key), (bob.id, key)}


def test_a_refused_request_stores_nothing_and_its_key_may_be_used_again(client, db, world):
    """Refusals are not kept (Stripe keeps some; we keep none): the client corrects the
    body and sends it again under the same key."""
    token, key = world["tokens"]["author"], new_key()
    refused = send(client, token, f"{API}/annotations", root(kind="rant"), key)
    assert error_of(refused, 422)["code"] == "invalid"
    assert records(db) == []
    corrected = send(client, token, f"{API}/annotations", root(), key)
    assert corrected.status_code == 201 and REPLAYED not in corrected.headers
    assert [r.key for r in records(db)] == [key]


def test_an_anonymous_post_is_refused_before_its_key_is_read(client, db, world):
    response = send(client, None, f"{API}/annotations", root(), "")
    assert error_of(response, 401)["code"] == "unauthorized"
    assert records(db) == []


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "must not be empty"),
        ("k" * 256, "at most 255 characters"),
        ("caf\xe9", "printable ASCII"),
        ("tab\there", "printable ASCII"),
    ],
)
def test_a_malformed_key_is_refused_naming_the_header(client, db, world, key, why):
    before = every_row(db)
    response = send(client, world["tokens"]["author"], f"{API}/annotations", root(), key)
    error = error_of(response, 400)
    assert error["code"] == "invalid_idempotency_key"
    assert why in error["fields"][HEADER]
    assert every_row(db) == before and records(db) == []


@pytest.mark.parametrize("key", ["k" * 255, "a key with spaces", "~!@#$%^&*()"])
def test_any_printable_ascii_key_up_to_255_characters_serves(client, db, world, key):
    token = world["tokens"]["author"]
    assert send(client, token, f"{API}/annotations", root(), key).status_code == 201
    assert send(client, token, f"{API}/annotations", root(), key).headers[REPLAYED] == "true"


# --- expiry -----------------------------------------------------------------------------


def _age(db, key: str, by: timedelta) -> None:
    db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.key == key)
        .values(created_at=utcnow() - by)
    )
    db.session.commit()


@pytest.mark.parametrize(("ttl", "age"), [(None, timedelta(hours=25)), (60, timedelta(minutes=2))])
def test_a_key_is_forgotten_after_its_time_to_live(app, client, db, world, ttl, age):
    if ttl is not None:
        app.config["IDEMPOTENCY_TTL"] = ttl
    token, key = world["tokens"]["author"], new_key()
    first = send(client, token, f"{API}/annotations", root(), key)
    kept = send(client, token, f"{API}/annotations", root(), key)
    assert kept.headers.get(REPLAYED) == "true"  # not yet expired
    _age(db, key, age)
    before = every_row(db)["annotations"]

    later = send(client, token, f"{API}/annotations", root(), key)
    assert later.status_code == 201 and REPLAYED not in later.headers
    assert later.get_json()["id"] != first.get_json()["id"]
    assert every_row(db)["annotations"] == before + 1
    [record] = records(db)
    assert record.key == key and record.created_at > utcnow() - timedelta(minutes=1)


def test_recording_an_answer_prunes_expired_records(client, db, world, create_user, monkeypatch):
    stale_owner = create_user()
    old, fresh = utcnow() - timedelta(days=3), utcnow() - timedelta(hours=1)
    for n, created_at in enumerate([old, old, old, fresh]):
        db.session.execute(
            insert(IdempotencyRecord).values(
                owner_id=stale_owner.id, key=f"k{n}", fingerprint="0" * 64, status=201,
                body=b"{}", created_at=created_at,
            )
        )  # fmt: skip
    db.session.commit()
    # Every answer prunes here (tests/unit/test_idempotency.py: how often they do).
    monkeypatch.setattr(idempotency, "PRUNE_EVERY", 1)
    key = new_key()
    assert send(client, world["tokens"]["author"], f"{API}/terms", {"label": "X"}, key).status_code
    assert sorted(r.key for r in records(db)) == sorted(["k3", key])


# --- publishing: a dry run, and a file ---------------------------------------------------------


def test_a_dry_run_with_a_key_is_recorded_like_any_answer(client, db, world):
    """A dry run stores nothing but its answer: a retry gets the same preview; the key
    then cannot publish (another query string is another request)."""
    token, key = world["tokens"]["editor"], new_key()
    before = every_row(db)
    preview = send(client, token, VERSIONS_URL + "?dry_run=1", {"source": source_51()}, key)
    assert preview.status_code == 200, preview.get_json()
    again = send(client, token, VERSIONS_URL + "?dry_run=1", {"source": source_51()}, key)
    assert again.headers[REPLAYED] == "true" and again.get_data() == preview.get_data()
    assert every_row(db) == before
    [record] = records(db)
    assert record.status == 200

    publish = send(client, token, VERSIONS_URL, {"source": source_51()}, key)
    assert error_of(publish, 422)["code"] == "idempotency_key_reused"
    published = send(client, token, VERSIONS_URL, {"source": source_51()}, new_key())
    assert published.status_code == 201
    assert added(before, every_row(db))["paper_versions"] == 1


def test_a_file_upload_with_a_key_that_is_refused_leaves_the_key_free(client, db, world):
    """An uploaded file the API cannot read (here a PDF) is refused (422), and a refusal
    keeps nothing, so the same key then publishes the JSON body."""
    token, key = world["tokens"]["editor"], new_key()
    upload = {"file": (io.BytesIO(b"%PDF-1.4"), "5.1.pdf")}
    refused = client.post(
        VERSIONS_URL, data=upload, headers={**auth(token), HEADER: key},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert refused.status_code == 422
    assert records(db) == []
    assert send(client, token, VERSIONS_URL, {"source": source_51()}, key).status_code == 201


def test_a_file_upload_retried_with_its_key_is_published_once(client, db, world):
    """A multipart upload is keyed by its fields and its file: the retry replays."""
    token, key = world["tokens"]["editor"], new_key()

    def upload():
        return client.post(
            VERSIONS_URL,
            data={"file": (io.BytesIO(source_51().encode()), "5.1.md")},
            headers={**auth(token), HEADER: key},
            content_type="multipart/form-data",
        )

    before = every_row(db)
    first, second = upload(), upload()
    assert first.status_code == second.status_code == 201, first.get_json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    assert added(before, every_row(db))["paper_versions"] == 1


# --- two requests with one key at once -------------------------------------------------------


def _release_the_session(db) -> None:
    """Hold no snapshot or lock while requests run in other threads."""
    db.session.commit()
    db.session.close()


def test_two_requests_racing_with_one_key_create_one_thread(app, db, world):
    token, key = world["tokens"]["author"], new_key()
    before = every_row(db)["annotations"]
    _release_the_session(db)
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def post_in_thread(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        answers[index] = send(client, token, f"{API}/annotations", root(), key)

    threads = [threading.Thread(target=post_in_thread, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(a.status_code for a in answers) == [201, 201], [
        a.get_data(as_text=True) for a in answers
    ]
    assert sorted(a.headers.get(REPLAYED, "") for a in answers) == ["", "true"]
    assert answers[0].get_data() == answers[1].get_data()
    assert every_row(db)["annotations"] == before + 1


def _claim_elsewhere(db, owner_id: int, key: str, fingerprint: str):
    """What a first request does at its start, on a connection of its own: claim the key
    and hold the claim uncommitted (the request is still running)."""
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(
        insert(IdempotencyRecord).values(
            owner_id=owner_id, key=key, fingerprint=fingerprint, body=b"", created_at=utcnow()
        )
    )
    return connection, transaction


def _fingerprint_of(app, path: str, body) -> str:
    from app.api.idempotency import canonical_body
    from app.core.idempotency import fingerprint

    with app.test_request_context(path, method="POST", json=body):
        return fingerprint("POST", path, canonical_body())


def _wait_until_a_request_waits_for_a_lock(db) -> None:
    """PostgreSQL: until the request's insert waits for the uncommitted claim (so that
    the test plays the race, not a retry after the end). SQLite queues whole writing
    transactions, so either order ends the same way there."""
    if db.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + 30
    with db.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.05)
    pytest.fail("the request never waited for the claim")


@pytest.mark.parametrize("first_ends", ["committed", "rolled_back"])
def test_a_retry_while_the_first_is_in_flight_waits_for_its_end(
    app, db, world, create_user, first_ends
):
    """The first request holds its claim; the retry waits. If the first commits, the
    retry answers what it stored; if it fails, the retry does the work itself."""
    user = create_user(name="Retrier")
    user_id, token, key = user.id, token_for(user, db), new_key()
    path = f"{API}/annotations"
    before = every_row(db)["annotations"]
    fingerprint = _fingerprint_of(app, path, root())
    _release_the_session(db)
    connection, transaction = _claim_elsewhere(db, user_id, key, fingerprint)
    answer: list = []
    retry = threading.Thread(
        target=lambda: answer.append(send(app.test_client(), token, path, root(), key))
    )
    try:
        retry.start()
        _wait_until_a_request_waits_for_a_lock(db)
        if first_ends == "committed":
            connection.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key)
                .values(
                    status=201,
                    body=b'{"id": 424242}',
                    content_type="application/json",
                    location=f"{path}/424242",
                )
            )
            transaction.commit()
        else:
            transaction.rollback()
    finally:
        connection.close()
    retry.join(timeout=60)

    [response] = answer
    assert response.status_code == 201, response.get_data(as_text=True)
    if first_ends == "committed":
        assert response.headers[REPLAYED] == "true"
        assert response.get_json() == {"id": 424242}
        assert response.headers["Location"] == f"{path}/424242"
        assert every_row(db)["annotations"] == before
    else:
        assert REPLAYED not in response.headers
        assert every_row(db)["annotations"] == before + 1


def test_a_claim_without_an_answer_is_in_flight(client, db, world, create_user):
    """A record with no answer cannot be replayed: 409, and the client tries again."""
    user = create_user()
    token, key = token_for(user, db), new_key()
    db.session.execute(
        insert(IdempotencyRecord).values(
            owner_id=user.id, key=key, fingerprint="0" * 64, body=b"", created_at=utcnow()
        )
    )
    db.session.commit()
    response = send(client, token, f"{API}/annotations", root(), key)
    error = error_of(response, 409)
    assert error["code"] == "idempotency_key_in_flight"
    assert set(error["fields"]) == {HEADER}


# --- the OpenAPI document ---------------------------------------------------------------------


def test_the_document_declares_the_key_on_every_post_and_only_there(client):
    document = client.get(f"{API}/openapi.json").get_json()
    parameter = document["components"]["parameters"][HEADER]
    assert parameter["in"] == "header" and parameter["required"] is False
    assert parameter["schema"]["maxLength"] == 255
    posts = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            refs = [p.get("$ref") for p in operation.get("parameters", [])]
            declared = f"#/components/parameters/{HEADER}" in refs
            assert declared == (method == "post"), (path, method)
            if method != "post":
                continue
            posts += 1
            assert {"409", "422"} <= set(operation["responses"]), path
            successes = [c for c in operation["responses"] if c.startswith("2")]
            for code in successes:
                assert REPLAYED in operation["responses"][code]["headers"], (path, code)
    assert posts == len(RECIPES)
    assert "Idempotency-Key" in document["info"]["description"]
