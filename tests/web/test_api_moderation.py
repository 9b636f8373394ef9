"""The moderation API: participants flag annotations, moderators read the queue and decide.

Every refused request answers in the CONTRACT's error format and stores nothing; two
moderators deciding the same item at once get one 201 and one 409, and one log row.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import Annotation, AnnotationStatus, Flag, ModerationLog, Role, User
from app.models.base import utcnow
from tests.conftest import login
from tests.web.test_api_annotations import (
    API,
    THREADS_URL,
    auth,
    error_of,
    open_for_comments,
    post,
    root,
    token_for,
)

QUEUE_URL = f"{API}/moderation/queue"
DECISIONS_URL = f"{API}/moderation/decisions"


# --- helpers ------------------------------------------------------------------------------


def flag(client, token, annotation_id, payload=None, **kwargs):
    payload = {"reason": "spam"} if payload is None else payload
    return client.post(
        f"{API}/annotations/{annotation_id}/flags", json=payload, headers=auth(token), **kwargs
    )


def decide(client, token, kind, target_id, action, reason="Checked against the rules.", **extra):
    payload = {"target": {"type": kind, "id": target_id}, "action": action, "reason": reason}
    return client.post(DECISIONS_URL, json={**payload, **extra}, headers=auth(token))


def queue(client, token, **params):
    return client.get(QUEUE_URL, query_string=params, headers=auth(token))


def log_rows(db) -> int:
    return db.session.scalar(select(func.count(ModerationLog.id)))


def flag_rows(db) -> int:
    return db.session.scalar(select(func.count(Flag.id)))


def status_of(db, annotation_id: int) -> AnnotationStatus:
    db.session.expire_all()
    return db.session.get(Annotation, annotation_id).status


@pytest.fixture
def tp1(paper, db):
    return open_for_comments(paper, db)


@pytest.fixture
def moderator(create_user):
    return create_user(Role.MODERATOR, name="Mo Derator")


@pytest.fixture
def mod_token(moderator, db):
    return token_for(moderator, db)


@pytest.fixture
def pending(tp1, create_user, create_annotation):
    """A newcomer's first thread, waiting for a moderator."""
    newcomer = create_user(trusted=False, name="New Comer")
    annotation = create_annotation("My first comment.", author=newcomer)
    assert annotation.status is AnnotationStatus.PENDING
    return annotation


# --- flags --------------------------------------------------------------------------------


def test_three_flags_hide_an_annotation_until_a_moderator_restores_it(
    client, tp1, create_user, db, moderator, mod_token
):
    author = create_user(name="Ann Author")
    author_token = token_for(author, db)
    thread = post(client, author_token, root(body="A *bold* claim.")).get_json()
    # A reply keeps the hidden thread's place in the list, as a placeholder.
    replier = token_for(create_user(), db)
    reply = post(client, replier, {"parent": thread["id"], "body": "I agree."}).get_json()
    reporters = [token_for(create_user(), db) for _ in range(3)]

    answers = [
        flag(client, token, thread["id"], {"reason": reason, "note": note})
        for token, reason, note in zip(
            reporters, ["spam", "abuse", "off_topic"], ["Advert.", None, ""], strict=True
        )
    ]

    assert [a.status_code for a in answers] == [201, 201, 201]
    first = answers[0].get_json()
    assert set(first) == {"id", "target", "reason", "note", "created"}
    assert first["target"] == {"type": "annotation", "id": thread["id"]}
    assert (first["reason"], first["note"]) == ("spam", "Advert.")
    assert first["created"].endswith("Z")
    assert status_of(db, thread["id"]) is AnnotationStatus.HIDDEN
    assert log_rows(db) == 1  # hidden automatically, by no moderator

    # Others see a placeholder: neither words nor author, and nothing about moderation.
    seen = client.get(f"{API}/annotations/{thread['id']}").get_json()
    assert (seen["status"], seen["body"], seen["body_html"], seen["author"]) == (
        "hidden",
        "",
        "",
        None,
    )
    assert "moderation" not in seen
    assert [r["id"] for r in seen["replies"]] == [reply["id"]]
    # Its author still reads it, and is told why it is hidden.
    own = client.get(f"{API}/annotations/{thread['id']}", headers=auth(author_token)).get_json()
    assert own["body"] == "A *bold* claim."
    assert own["moderation"]["state"] == "hidden"
    assert "3 flags" in own["moderation"]["reason"]
    assert own["moderation"]["decided_at"].endswith("Z")

    listed = queue(client, mod_token).get_json()
    assert listed["total"] == 1 and listed["next"] is None
    item = listed["items"][0]
    assert item["target"] == {"type": "annotation", "id": thread["id"]}
    assert (item["state"], item["status"]) == ("flagged", "hidden")
    assert item["annotation"]["body"] == "A *bold* claim."  # moderators read hidden words
    assert item["annotation"]["moderation"]["state"] == "hidden"
    assert item["annotation"]["reply_count"] == 1
    assert [f["reason"] for f in item["flags"]] == ["spam", "abuse", "off_topic"]
    assert all(set(f["reporter"]) == {"id", "name"} for f in item["flags"])
    assert item["author"]["id"] == author.id and item["author"]["hidden"] == 1
    assert item["since"] == first["created"]

    restored = decide(
        client,
        mod_token,
        "annotation",
        thread["id"],
        "restore",
        reason="Robust, but within the rules.",
    )

    assert restored.status_code == 201, restored.get_data(as_text=True)
    row = restored.get_json()
    assert row["moderator"] == {"id": moderator.id, "name": "Mo Derator"}
    assert row["target"] == {"type": "annotation", "id": thread["id"]}
    assert row["subject"] == author.id
    assert (row["action"], row["old_state"], row["new_state"]) == ("restore", "hidden", "published")
    assert row["reason"] == "Robust, but within the rules."
    assert row["created"].endswith("Z") and isinstance(row["id"], int)
    again = client.get(f"{API}/annotations/{thread['id']}").get_json()
    assert (again["status"], again["body"]) == ("published", "A *bold* claim.")
    assert "moderation" not in again
    assert queue(client, mod_token).get_json() == {"items": [], "total": 0, "next": None}
    assert log_rows(db) == 2


def test_flag_refusals_store_nothing(app, client, tp1, create_user, create_annotation, db, pending):
    app.config["ANNOTATION_RATE_LIMIT"] = "100 per minute"  # one reporter tries many times
    author = create_user()
    target = create_annotation("Published.", author=author)
    reporter = create_user()
    token = token_for(reporter, db)
    assert flag(client, token, target.id).status_code == 201

    cases = [
        (flag(client, None, target.id), 401, "unauthorized"),
        (flag(client, token_for(author, db), target.id), 403, "own_content"),
        (flag(client, token_for(create_user(confirmed=False), db), target.id), 403, "forbidden"),
        (flag(client, token, target.id), 409, "already_flagged"),
        (flag(client, token, pending.id), 404, "not_found"),  # others cannot see it
        (flag(client, token, 987654), 404, "not_found"),
        (flag(client, token, target.id, {"reason": "boring"}), 422, None),
        (flag(client, token, target.id, {}), 422, None),
        (flag(client, token, target.id, {"reason": 3}), 422, None),
        (flag(client, token, target.id, {"reason": "other", "note": "x" * 1001}), 422, None),
        (flag(client, token, target.id, {"reason": "other", "note": 5}), 422, None),
        (flag(client, token, target.id, {"reason": "spam", "why": "x"}), 422, None),
        (flag(client, token, target.id, ["spam"]), 400, "invalid_json"),
        (
            client.post(
                f"{API}/annotations/{target.id}/flags",
                data="reason=spam",
                content_type="application/x-www-form-urlencoded",
                headers=auth(token),
            ),
            415,
            "unsupported_media_type",
        ),
    ]
    for response, status, code in cases:
        error = error_of(response, status)
        if code is not None:
            assert error["code"] == code, error
        if status == 422:
            assert error["fields"], error
    assert flag_rows(db) == 1


def test_hidden_and_deleted_annotations_cannot_be_flagged(
    client, tp1, create_user, create_annotation, db
):
    hidden = create_annotation("Hidden.")
    deleted = create_annotation("Deleted.")
    create_annotation("A reply keeps the placeholder.", parent=deleted)
    hidden.status = AnnotationStatus.HIDDEN
    deleted.status = AnnotationStatus.DELETED
    db.session.commit()
    token = token_for(create_user(), db)

    for target in (hidden, deleted):
        assert error_of(flag(client, token, target.id), 409)["code"] == "not_flaggable"
    assert flag_rows(db) == 0


# --- pre-moderation -----------------------------------------------------------------------


def test_a_newcomers_comment_waits_for_a_moderator(client, tp1, create_user, db, mod_token):
    newcomer = token_for(create_user(trusted=False, name="New Comer"), db)
    participant = token_for(create_user(), db)

    created = post(client, newcomer, root(body="First words here."))

    assert created.status_code == 201
    body = created.get_json()
    assert body["status"] == "pending"
    assert body["moderation"] == {"state": "pending", "reason": None, "decided_at": None}
    url = f"{API}/annotations/{body['id']}"
    assert error_of(client.get(url, headers=auth(participant)), 404)["code"] == "not_found"
    assert client.get(url).status_code == 404

    waiting = queue(client, mod_token, state="pending").get_json()
    assert [i["target"]["id"] for i in waiting["items"]] == [body["id"]]
    item = waiting["items"][0]
    assert (item["state"], item["status"], item["flags"]) == ("pending", "pending", [])
    assert item["annotation"]["body"] == "First words here."
    assert item["author"]["name"] == "New Comer" and item["author"]["pending"] == 1
    assert item["author"]["suspended"] is False and item["author"]["restricted"] is False
    assert item["context"]["paper"] == "think-paper-1" and item["context"]["version"] == "5.0"
    assert item["context"]["section"]["key"] == "introduction"
    assert (item["context"]["root"], item["context"]["parent"]) == (None, None)
    assert queue(client, mod_token, state="flagged").get_json()["total"] == 0

    approved = decide(client, mod_token, "annotation", body["id"], "approve", "Welcome.")

    assert approved.status_code == 201
    assert approved.get_json()["new_state"] == "published"
    seen = client.get(url, headers=auth(participant))
    assert seen.status_code == 200
    assert seen.get_json()["body"] == "First words here."
    assert "moderation" not in seen.get_json()
    assert queue(client, mod_token).get_json()["total"] == 0


def test_a_rejected_comment_tells_its_author_why(client, pending, db, mod_token):
    token = token_for(db.session.get(User, pending.author_id), db)
    assert (
        decide(client, mod_token, "annotation", pending.id, "reject", "Off the paper.").status_code
        == 201
    )

    mine = client.get(f"{API}/annotations/{pending.id}", headers=auth(token)).get_json()

    assert mine["moderation"]["state"] == "rejected"
    assert mine["moderation"]["reason"] == "Off the paper."


# --- two moderators at once -----------------------------------------------------------------


def test_two_moderators_deciding_at_once_one_wins(app, pending, create_user, db):
    tokens = [token_for(create_user(Role.MODERATOR), db) for _ in range(2)]
    target_id = pending.id
    db.session.commit()
    db.session.close()  # hold no snapshot or lock while the two requests run
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def decide_in_thread(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        answers[index] = decide(client, tokens[index], "annotation", target_id, "approve")

    threads = [threading.Thread(target=decide_in_thread, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409], [a.get_data(as_text=True) for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    error = error_of(loser, 409)
    assert error["code"] == "conflict"
    assert "published" in error["message"] or "a moment ago" in error["message"]
    assert log_rows(db) == 1
    assert status_of(db, target_id) is AnnotationStatus.PUBLISHED


# --- suspension -------------------------------------------------------------------------------


def test_a_suspended_accounts_token_is_refused_at_once(client, tp1, create_user, db, mod_token):
    participant = create_user()
    token = token_for(participant, db)
    assert post(client, token, root(body="Before.")).status_code == 201

    until = (utcnow() + timedelta(days=7)).date().isoformat()
    suspended = decide(
        client, mod_token, "user", participant.id, "suspend", "Repeated abuse.", until=until
    )

    assert suspended.status_code == 201, suspended.get_data(as_text=True)
    row = suspended.get_json()
    assert (row["old_state"], row["new_state"], row["subject"]) == (
        "active",
        "suspended",
        participant.id,
    )
    assert error_of(post(client, token, root(body="After.")), 401)["code"] == "unauthorized"
    db.session.expire_all()
    ends = db.session.get(User, participant.id).suspended_until
    assert ends.date().isoformat() == until and (ends.hour, ends.minute) == (23, 59)


def test_a_suspended_accounts_session_ends_at_once(app, client, create_user, db, mod_token):
    participant = create_user()
    assert login(client, participant).status_code in (302, 303)
    assert client.get("/account/").status_code == 200

    moderators_client = app.test_client()
    assert (
        decide(
            moderators_client, mod_token, "user", participant.id, "suspend", "Repeated abuse."
        ).status_code
        == 201
    )

    again = client.get("/account/")
    assert again.status_code == 302
    assert "/login" in again.headers["Location"]


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "queue_status", "decision_status"),
    [
        (None, 401, 401),
        (Role.PARTICIPANT, 403, 403),
        (Role.EDITOR, 403, 403),
        (Role.MODERATOR, 200, 201),
        (Role.ADMIN, 200, 201),
    ],
)
def test_only_moderators_read_the_queue_and_decide(
    client, pending, create_user, db, role, queue_status, decision_status
):
    token = token_for(create_user(role), db) if role else None

    listed = queue(client, token)
    decided = decide(client, token, "annotation", pending.id, "approve")

    assert listed.status_code == queue_status
    assert decided.status_code == decision_status
    if queue_status == 200:
        assert listed.get_json()["total"] == 1
        assert log_rows(db) == 1
    else:
        error_of(listed, queue_status)
        error_of(decided, decision_status)
        assert log_rows(db) == 0
        assert status_of(db, pending.id) is AnnotationStatus.PENDING
    if role is None:
        assert listed.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_moderator_does_not_decide_on_their_own_words(
    client, tp1, moderator, mod_token, create_annotation, create_user, db
):
    own = create_annotation("My own comment.", author=moderator)
    for token in [token_for(create_user(), db) for _ in range(3)]:
        assert flag(client, token, own.id).status_code == 201
    assert status_of(db, own.id) is AnnotationStatus.HIDDEN

    refused = decide(client, mod_token, "annotation", own.id, "restore")

    assert error_of(refused, 403)["code"] == "own_content"
    assert log_rows(db) == 1  # the automatic hiding only
    # Nor on their own account, nor on an admin's.
    admin = create_user(Role.ADMIN)
    for user_id in (moderator.id, admin.id):
        answer = decide(client, mod_token, "user", user_id, "suspend")
        assert error_of(answer, 403)["code"] == "forbidden"
    assert log_rows(db) == 1


# --- bad input --------------------------------------------------------------------------------

LONG_REASON = "x" * 2001
PAST = "2020-01-01"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"target": "ANN", "action": "approve"}, 422, "reason"),
        ({"target": "ANN", "action": "approve", "reason": ""}, 422, "reason"),
        ({"target": "ANN", "action": "approve", "reason": "  \n "}, 422, "reason"),
        ({"target": "ANN", "action": "approve", "reason": LONG_REASON}, 422, "reason"),
        ({"target": "ANN", "action": "approve", "reason": 42}, 422, "reason"),
        ({"target": "ANN", "action": "ban", "reason": "r"}, 422, "action"),
        ({"target": "ANN", "action": None, "reason": "r"}, 422, "action"),
        ({"target": "ANN", "reason": "r"}, 422, "action"),
        ({"target": "ANN", "action": "suspend", "reason": "r"}, 422, "action"),
        ({"target": "USER", "action": "approve", "reason": "r"}, 422, "action"),
        (
            {"target": {"type": "annotation", "id": "abc"}, "action": "approve", "reason": "r"},
            422,
            "target.id",
        ),
        (
            {"target": {"type": "annotation", "id": -1}, "action": "approve", "reason": "r"},
            422,
            "target.id",
        ),
        (
            {"target": {"type": "annotation", "id": 2**40}, "action": "approve", "reason": "r"},
            422,
            "target.id",
        ),
        (
            {"target": {"type": "annotation", "id": 1.5}, "action": "approve", "reason": "r"},
            422,
            "target.id",
        ),
        (
            {"target": {"type": "annotation", "id": True}, "action": "approve", "reason": "r"},
            422,
            "target.id",
        ),
        (
            {"target": {"type": "paper", "id": 1}, "action": "approve", "reason": "r"},
            422,
            "target.type",
        ),
        ({"target": {"type": 7, "id": 1}, "action": "approve", "reason": "r"}, 422, "target.type"),
        ({"target": {"id": 1}, "action": "approve", "reason": "r"}, 422, "target.type"),
        (
            {"target": {"type": "annotation", "id": 1, "x": 1}, "action": "approve", "reason": "r"},
            422,
            "target.x",
        ),
        ({"target": [1], "action": "approve", "reason": "r"}, 422, "target"),
        ({"action": "approve", "reason": "r"}, 422, "target"),
        ({"target": "USER", "action": "suspend", "reason": "r", "until": PAST}, 422, "until"),
        ({"target": "USER", "action": "suspend", "reason": "r", "until": "soon"}, 422, "until"),
        ({"target": "USER", "action": "suspend", "reason": "r", "until": 20300101}, 422, "until"),
        (
            {"target": "USER", "action": "restrict", "reason": "r", "until": "2099-01-01"},
            422,
            "until",
        ),
        (
            {"target": "ANN", "action": "approve", "reason": "r", "until": "2099-01-01"},
            422,
            "until",
        ),
        ({"target": "ANN", "action": "approve", "reason": "r", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_decisions_are_refused_and_store_nothing(
    client, pending, create_user, db, mod_token, body, status, field
):
    user = create_user()
    named = {
        "ANN": {"type": "annotation", "id": pending.id},
        "USER": {"type": "user", "id": user.id},
    }
    if isinstance(body.get("target"), str):
        body = {**body, "target": named[body["target"]]}

    response = client.post(DECISIONS_URL, json=body, headers=auth(mod_token))

    error = error_of(response, status)
    assert field in error["fields"], error
    assert log_rows(db) == 0
    assert status_of(db, pending.id) is AnnotationStatus.PENDING
    db.session.expire_all()
    assert db.session.get(User, user.id).suspended_at is None


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        ('"approve"', "application/json", 400, "invalid_json"),
        ("action=approve", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("approve", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_decisions_that_are_not_json_objects_are_refused(
    client, pending, db, mod_token, data, content_type, status, code
):
    response = client.post(
        DECISIONS_URL, data=data, content_type=content_type, headers=auth(mod_token)
    )

    assert error_of(response, status)["code"] == code
    assert log_rows(db) == 0


def test_unknown_targets_are_not_found_and_repeated_decisions_conflict(
    client, pending, db, mod_token
):
    assert error_of(decide(client, mod_token, "annotation", 987654, "approve"), 404)
    assert error_of(decide(client, mod_token, "user", 987654, "suspend"), 404)
    assert error_of(decide(client, mod_token, "proposal", 1, "approve"), 404)
    assert decide(client, mod_token, "annotation", pending.id, "approve").status_code == 201

    again = decide(client, mod_token, "annotation", pending.id, "approve")
    hide_pending_again = decide(client, mod_token, "annotation", pending.id, "restore")

    assert error_of(again, 409)["code"] == "conflict"
    assert error_of(hide_pending_again, 409)["code"] == "conflict"
    assert log_rows(db) == 1


# --- the queue ----------------------------------------------------------------------------


def _fill_queue(create_user, create_annotation, db, n: int) -> list[int]:
    """`n` items in the queue, oldest first: pending threads, flagged replies, pending
    replies in turn (so that any two first items need every kind of look-up)."""
    from app.models import TargetKind
    from app.moderation import services

    published = create_annotation("A published thread.")
    ids = []
    for i in range(n):
        if i % 3 == 0:
            item = create_annotation(f"Pending {i}.", author=create_user(trusted=False))
        elif i % 3 == 1:
            item = create_annotation(f"Flagged reply {i}.", parent=published)
            services.flag(create_user(), TargetKind.ANNOTATION, item, "spam", "Buy now.")
            db.session.commit()
        else:
            item = create_annotation(
                f"Pending reply {i}.", author=create_user(trusted=False), parent=published
            )
        ids.append(item.id)
    return ids


def test_the_queue_pages_oldest_first(client, tp1, create_user, create_annotation, db, mod_token):
    ids = _fill_queue(create_user, create_annotation, db, 5)

    first = queue(client, mod_token, limit=2).get_json()
    assert first["total"] == 5
    assert [i["target"]["id"] for i in first["items"]] == ids[:2]
    assert "after=2" in first["next"] and "limit=2" in first["next"]
    second = client.get(first["next"], headers=auth(mod_token)).get_json()
    assert [i["target"]["id"] for i in second["items"]] == ids[2:4]
    third = client.get(second["next"], headers=auth(mod_token)).get_json()
    assert [i["target"]["id"] for i in third["items"]] == ids[4:]
    assert third["next"] is None

    reply = first["items"][1]
    assert reply["context"]["parent"] == reply["context"]["root"] is not None
    assert reply["context"]["quote"] is None
    assert reply["state"] == "flagged" and reply["flags"][0]["note"] == "Buy now."
    assert reply["annotation"]["parent"] == reply["context"]["parent"]
    assert "moderation" not in reply["annotation"]  # published: nothing decided to tell
    assert second["items"][0]["state"] == "pending"
    spam = queue(client, mod_token, reason="spam").get_json()
    assert [i["target"]["id"] for i in spam["items"]] == [ids[1], ids[4]]
    assert queue(client, mod_token, reason="abuse").get_json()["total"] == 0
    kept = queue(client, mod_token, state="pending", limit=1).get_json()
    assert "state=pending" in kept["next"] and kept["total"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "open"}, "state"),
        ({"type": "user"}, "type"),
        ({"type": "paper"}, "type"),
        ({"reason": "boring"}, "reason"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"after": "-1"}, "after"),
        ({"after": "abc"}, "after"),
    ],
)
def test_bad_queue_parameters_are_named(client, tp1, mod_token, params, field):
    error = error_of(queue(client, mod_token, **params), 400)

    assert error["code"] == "invalid_parameters"
    assert field in error["fields"]


def test_the_queue_costs_the_same_queries_for_any_page_size(
    client, tp1, create_user, create_annotation, db, mod_token, count_queries
):
    _fill_queue(create_user, create_annotation, db, 10)
    # The token's first use is recorded and committed; the next request reloads what that
    # commit expired in the test's shared session. Count from the third request on.
    queue(client, mod_token, limit=1)
    queue(client, mod_token, limit=1)

    with count_queries() as two:
        small = queue(client, mod_token, limit=2)
    with count_queries() as ten:
        large = queue(client, mod_token, limit=10)

    assert len(small.get_json()["items"]) == 2 and len(large.get_json()["items"]) == 10
    assert two.count == ten.count, "\n\n".join(
        f"{a[:150]}\n  vs {b[:150]}" for a, b in zip(two.statements, ten.statements, strict=False)
    )


# --- the documented shapes --------------------------------------------------------------------


def test_answers_match_the_openapi_document(
    client, tp1, create_user, create_annotation, db, mod_token
):
    from tests.web.test_openapi import _check

    document = client.get(f"{API}/openapi.json").get_json()
    ids = _fill_queue(create_user, create_annotation, db, 3)
    flagged = flag(client, token_for(create_user(), db), ids[1]).get_json()
    listed = queue(client, mod_token).get_json()
    decided = decide(client, mod_token, "annotation", ids[0], "approve").get_json()
    mine = token_for(db.session.get(User, db.session.get(Annotation, ids[2]).author_id), db)
    own_pending = client.get(f"{API}/annotations/{ids[2]}", headers=auth(mine)).get_json()

    _check(document, "Flag", flagged)
    _check(document, "ModerationQueue", listed)
    _check(document, "Decision", decided)
    _check(document, "Annotation", own_pending)
    _check(document, "Error", decide(client, mod_token, "annotation", ids[0], "approve").get_json())
    _check(document, "NewFlag", {"reason": "spam", "note": "x"})
    _check(
        document,
        "NewDecision",
        {
            "target": {"type": "user", "id": 1},
            "action": "suspend",
            "reason": "r",
            "until": "2030-01-01",
        },
    )
    assert own_pending["moderation"]["state"] == "pending"
    assert client.get(THREADS_URL).status_code == 200
