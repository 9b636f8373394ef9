"""What posting through the API costs the database, counted, so that it does not creep back.

Posting is the site's busiest write: every statement of it is a round trip made while
SQLite's write lock is held. A new thread with an `Idempotency-Key` costs, in one
transaction: the token and its account (one query), the key's claim, the paper with its
versions (one query), the section, the annotation, its search-index row, the followers
to notify, and the key's answer. Nothing runs after the commit: reading the account
again for a response header would open a second transaction (a second write lock).
"""

from __future__ import annotations

import uuid

import pytest

from tests.web.test_api_annotations import API, auth, open_for_comments, root, token_for

THREAD_STATEMENTS = 9
# A reply also reads its parent and notifies the thread's participants (their settings,
# the notification, the mail to its author and its record).
REPLY_STATEMENTS = 20


def _post(client, token, payload):
    headers = {**auth(token), "Idempotency-Key": str(uuid.uuid4())}
    return client.post(f"{API}/annotations", json=payload, headers=headers)


def _transactions(counter) -> int:
    return sum(1 for s in counter.statements if s.lstrip().upper().startswith("BEGIN"))


@pytest.fixture
def writers(paper, create_user, db):
    """Think Paper 1 open for comments, and two participants with tokens."""
    open_for_comments(paper, db)
    first, second = create_user(name="First"), create_user(name="Second")
    return token_for(first, db), token_for(second, db)


def test_a_new_thread_costs_one_transaction_of_nine_statements(client, writers, count_queries, db):
    # The first post of a token notes its use; the second is counted.
    assert _post(client, writers[0], root()).status_code == 201
    db.session.rollback()  # the test's own session holds no snapshot meanwhile
    with count_queries() as counter:
        answer = _post(client, writers[0], root(body="Another point."))
    assert answer.status_code == 201
    assert _transactions(counter) == 1, counter.statements
    assert counter.count <= THREAD_STATEMENTS, "\n".join(counter.statements)


def test_a_reply_costs_one_transaction_before_its_mail(client, writers, count_queries, db):
    thread = _post(client, writers[0], root()).get_json()["id"]
    assert _post(client, writers[1], {"parent": thread, "body": "First."}).status_code == 201
    db.session.rollback()
    with count_queries() as counter:
        answer = _post(client, writers[1], {"parent": thread, "body": "And again."})
    assert answer.status_code == 201
    # The request's transaction; then only the mail's handover, once it has committed.
    begins = [n for n, s in enumerate(counter.statements) if s.lstrip().startswith("BEGIN")]
    own = counter.statements[begins[0] + 1 : begins[1] if len(begins) > 1 else None]
    assert len(own) <= REPLY_STATEMENTS, "\n".join(own)
    after = counter.statements[len(own) + 1 :]
    assert all("outgoing_mail" in s or s.lstrip().startswith("BEGIN") for s in after), after
