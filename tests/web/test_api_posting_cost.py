"""What posting through the API costs the database, counted, so that it does not creep back.

Posting is the site's busiest write: every statement of it is a round trip made while
SQLite's write lock is held. A new thread with an `Idempotency-Key` costs, in one
transaction: the token and its account (one query), the key's claim, the paper with its
versions (one query), the section, the annotation, its search-index row, the followers
to notify, the key's answer, and the paper's page revision (what tells the kept reading
pages that they are stale). Nothing runs after the commit: reading the account
again for a response header would open a second transaction (a second write lock).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.web.test_api_annotations import API, auth, open_for_comments, root, token_for

THREAD_STATEMENTS = 9
# A reply also reads its parent and notifies the thread's participants (their settings,
# the notification, the mail to its author and its record).
REPLY_STATEMENTS = 20


def _post(client, token, payload):
    headers = {**auth(token), "Idempotency-Key": str(uuid.uuid4())}
    return client.post(f"{API}/annotations", json=payload, headers=headers)


@contextmanager
def transactions(db) -> Iterator[list[int]]:
    """The transactions begun meanwhile: at each, how many statements had been sent."""
    begun: list[int] = []
    sent = [0]

    def began(conn):
        begun.append(sent[0])

    def statement(conn, cursor, text, parameters, context, executemany):
        if not text.lstrip().upper().startswith("BEGIN"):
            sent[0] += 1

    event.listen(db.engine, "begin", began)
    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        yield begun
    finally:
        event.remove(db.engine, "begin", began)
        event.remove(db.engine, "before_cursor_execute", statement)


@pytest.fixture
def writers(paper, create_user, db):
    """Think Paper 1 open for comments, and two participants with tokens."""
    open_for_comments(paper, db)
    first, second = create_user(name="First"), create_user(name="Second")
    return token_for(first, db), token_for(second, db)


def test_a_new_thread_costs_one_transaction_of_eight_statements(client, writers, count_queries, db):
    # The first post of a token notes its use; the second is counted.
    assert _post(client, writers[0], root()).status_code == 201
    db.session.rollback()  # the test's own session holds no snapshot meanwhile
    with transactions(db) as begun, count_queries() as counter:
        answer = _post(client, writers[0], root(body="Another point."))
    assert answer.status_code == 201
    assert begun == [0], counter.statements
    assert counter.count <= THREAD_STATEMENTS, "\n".join(counter.statements)


def test_a_reply_costs_one_transaction_before_its_mail(client, writers, count_queries, db):
    thread = _post(client, writers[0], root()).get_json()["id"]
    assert _post(client, writers[1], {"parent": thread, "body": "First."}).status_code == 201
    db.session.rollback()
    with transactions(db) as begun, count_queries() as counter:
        answer = _post(client, writers[1], {"parent": thread, "body": "And again."})
    assert answer.status_code == 201
    # The request's transaction; then only the mail's handover, once it has committed.
    sent = [s for s in counter.statements if not s.lstrip().upper().startswith("BEGIN")]
    own = sent[: begun[1] if len(begun) > 1 else None]
    assert begun[0] == 0 and len(own) <= REPLY_STATEMENTS, "\n".join(own)
    assert all("outgoing_mail" in s for s in sent[len(own) :]), sent[len(own) :]


def test_a_thread_on_a_superseded_version_is_refused_from_the_versions_at_hand(
    client, writers, import_paper, count_queries, db
):
    """The newer version is found among the versions loaded with the one asked for."""
    from tests.unit.test_publishing import source_51

    import_paper(source_51())
    db.session.rollback()
    with count_queries() as counter:
        answer = _post(client, writers[0], root())
    assert answer.status_code == 409, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert error["code"] == "superseded" and "5.1" in error["message"]
    assert not any("sequence >" in s for s in counter.statements)
    assert _post(client, writers[0], root() | {"version": "5.1"}).status_code == 201
