"""Every moderation route, pages and API, for every kind of caller.

The cast: anonymous; a participant; the author of the contributions at stake (a
pre-moderated newcomer); a moderator; an editor (not a moderator); an admin. Pages send
anonymous visitors to log in (302) and refuse the others who may not moderate (403); the
API answers 401 and 403. What a refused caller asked for never happens: the log stays
empty and the contributions keep their state.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import AnnotationStatus, Flag, ModerationLog, Role, TargetKind
from app.moderation.services import flag
from tests.web.test_api_annotations import API, auth, token_for

ROLES = ["anonymous", "participant", "author", "moderator", "editor", "admin"]
PAGE = {"anonymous": 302, "participant": 403, "author": 403, "editor": 403}
API_STATUS = {"anonymous": 401, "participant": 403, "author": 403, "editor": 403}
MAY_MODERATE = {"moderator", "admin"}


@pytest.fixture
def cast(create_user, create_annotation, db):
    """The author's pending thread and published reply, and a participant to act on."""
    author = create_user(name="Author", trusted=False)
    pending = create_annotation("Awaiting review.", author=author)
    published = create_annotation("Out in the open.", author=author)
    published.status = AnnotationStatus.PUBLISHED
    bystander = create_user(name="Bystander")
    db.session.commit()
    assert pending.status is AnnotationStatus.PENDING
    return {"author": author, "pending": pending, "published": published, "other": bystander}


@pytest.fixture
def as_role(client, create_user, cast, logged_in, db):
    """A client logged in as `role` (web), and that account's bearer token (API)."""

    def make(role: str):
        if role == "anonymous":
            return client, None
        user = cast["author"] if role == "author" else create_user(Role(role))
        logged_in(user)
        return client, token_for(user, db)

    return make


def log_rows(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(ModerationLog.id)))


def pages(cast) -> list[str]:
    pending, author = cast["pending"], cast["author"]
    return [
        "/moderation/",
        "/moderation/?state=flagged",
        "/moderation/log",
        "/moderation/log.csv",
        "/moderation/users",
        f"/moderation/users/{author.id}",
        f"/moderation/items/annotation/{pending.id}",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_moderation_pages(as_role, cast, role):
    client, _token = as_role(role)
    for path in pages(cast):
        response = client.get(path)
        expected = 200 if role in MAY_MODERATE else PAGE[role]
        assert response.status_code == expected, (role, path)
        if role == "anonymous":
            assert response.headers["Location"].startswith("/login"), path


@pytest.mark.parametrize("role", ROLES)
def test_deciding_from_the_queue(as_role, cast, db, role):
    client, _token = as_role(role)
    target = f"annotation:{cast['pending'].id}"
    response = client.post(
        "/moderation/decide", data={"target": target, "action": "approve", "reason": "Fine."}
    )
    allowed = role in MAY_MODERATE
    assert response.status_code == (303 if allowed else PAGE[role])
    assert log_rows(db) == (1 if allowed else 0)
    db.session.refresh(cast["pending"])
    assert cast["pending"].status is (
        AnnotationStatus.PUBLISHED if allowed else AnnotationStatus.PENDING
    )


@pytest.mark.parametrize("role", ROLES)
def test_bulk_approval(as_role, cast, db, role):
    client, _token = as_role(role)
    response = client.post(
        "/moderation/bulk",
        data={"targets": [f"annotation:{cast['pending'].id}"], "reason": "All fine."},
    )
    allowed = role in MAY_MODERATE
    assert response.status_code == (303 if allowed else PAGE[role])
    assert log_rows(db) == (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_account_actions(as_role, cast, db, role):
    client, _token = as_role(role)
    other = cast["other"]
    response = client.post(
        f"/moderation/users/{other.id}/decide", data={"action": "restrict", "reason": "Trolls."}
    )
    allowed = role in MAY_MODERATE
    assert response.status_code == (303 if allowed else PAGE[role])
    assert log_rows(db) == (1 if allowed else 0)
    db.session.refresh(other)
    assert other.is_restricted is allowed


@pytest.mark.parametrize("role", ROLES)
def test_the_queue_through_the_api(as_role, cast, role):
    client, token = as_role(role)
    client.get("/logout")  # the API is asked with the token alone
    response = client.get(f"{API}/moderation/queue", headers=auth(token))
    expected = 200 if role in MAY_MODERATE else API_STATUS[role]
    assert response.status_code == expected
    if expected == 200:
        assert [item["target"]["id"] for item in response.get_json()["items"]] == [
            cast["pending"].id
        ]


@pytest.mark.parametrize("role", ROLES)
def test_decisions_through_the_api(as_role, cast, db, role):
    client, token = as_role(role)
    client.get("/logout")
    response = client.post(
        f"{API}/moderation/decisions",
        json={
            "target": {"type": "annotation", "id": cast["pending"].id},
            "action": "reject",
            "reason": "Advertising.",
        },
        headers=auth(token),
    )
    allowed = role in MAY_MODERATE
    assert response.status_code == (201 if allowed else API_STATUS[role])
    assert log_rows(db) == (1 if allowed else 0)


# Flagging is for everyone who takes part, except on one's own contribution.
FLAG = {"anonymous": 401, "author": 403}


@pytest.mark.parametrize("role", ROLES)
def test_flagging_through_the_api(as_role, cast, db, role):
    client, token = as_role(role)
    client.get("/logout")
    response = client.post(
        f"{API}/annotations/{cast['published'].id}/flags",
        json={"reason": "off_topic"},
        headers=auth(token),
    )
    assert response.status_code == FLAG.get(role, 201)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == (0 if role in FLAG else 1)


@pytest.mark.parametrize("role", ROLES)
def test_flagging_through_the_page(as_role, cast, db, role):
    client, _token = as_role(role)
    url = f"/annotations/{cast['published'].id}/flag"
    shown = client.get(url)
    posted = client.post(url, data={"reason": "spam"})
    if role == "anonymous":
        assert shown.status_code == posted.status_code == 302
    elif role == "author":
        assert posted.status_code == 403
    else:
        assert (shown.status_code, posted.status_code) == (200, 303)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == (0 if role in FLAG else 1)


def test_a_moderator_cannot_decide_on_their_own_contribution_anywhere(
    client, create_user, create_annotation, logged_in, db
):
    moderator = create_user(Role.MODERATOR)
    own = create_annotation("My own words.", author=moderator)
    flagger = create_user()
    flag(flagger, TargetKind.ANNOTATION, own, "spam")
    db.session.commit()
    logged_in(moderator)
    page = client.post(
        "/moderation/decide",
        data={"target": f"annotation:{own.id}", "action": "hide", "reason": "Mine."},
    )
    assert page.status_code == 303
    api = client.post(
        f"{API}/moderation/decisions",
        json={"target": {"type": "annotation", "id": own.id}, "action": "hide", "reason": "x"},
        headers=auth(token_for(moderator, db)),
    )
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "own_content"
    assert log_rows(db) == 0
