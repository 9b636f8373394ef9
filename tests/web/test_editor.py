"""Editors set the comment period; the margin and the services follow it."""

from datetime import timedelta

import pytest

from app.models import Role
from app.models.base import utcnow

URL = "/editor/papers/think-paper-1/comment-period"


def test_an_editor_closes_the_comment_period_and_the_paper_stops_taking_comments(
    client, paper, create_user, logged_in, db
):
    logged_in(create_user(Role.EDITOR))
    yesterday = utcnow().date() - timedelta(days=1)
    response = client.post(URL, data={"opens": "2026-01-01", "closes": yesterday.isoformat()})
    assert response.status_code == 303
    db.session.refresh(paper)
    assert (paper.comment_opens.isoformat(), paper.comment_closes) == ("2026-01-01", yesterday)
    page = client.get("/papers/think-paper-1/").get_data(as_text=True)
    assert "Comments closed on" in page
    section = "/papers/think-paper-1/v/5.0/sections/key-messages/"
    refused = client.post(section, data={"kind": "comment", "body": "Too late?"})
    assert refused.status_code == 403


def test_empty_dates_take_comments_at_any_time(client, paper, create_user, logged_in, db):
    logged_in(create_user(Role.ADMIN))
    assert client.post(URL, data={"opens": "", "closes": ""}).status_code == 303
    db.session.refresh(paper)
    assert paper.comment_opens is None and paper.comment_closes is None
    assert "Open for comments" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"opens": "2027-02-01", "closes": "2027-01-01"}, "cannot close before it opens"),
        ({"opens": "soon", "closes": ""}, "Not a valid date value"),
    ],
)
def test_bad_periods_are_refused_and_nothing_changes(
    client, paper, create_user, logged_in, db, data, message
):
    logged_in(create_user(Role.EDITOR))
    before = (paper.comment_opens, paper.comment_closes)
    response = client.post(URL, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(paper)
    assert (paper.comment_opens, paper.comment_closes) == before


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.PARTICIPANT, 403), (Role.MODERATOR, 403), (Role.EDITOR, 200)],
)
def test_only_editors_change_the_period(client, paper, create_user, logged_in, role, status):
    if role is not None:
        logged_in(create_user(role))
    assert client.get(URL).status_code == status
    post_status = 303 if status == 200 else status
    assert client.post(URL, data={"opens": "", "closes": ""}).status_code == post_status


def test_an_unknown_paper_is_a_404(client, create_user, logged_in):
    logged_in(create_user(Role.EDITOR))
    assert client.get("/editor/papers/nope/comment-period").status_code == 404
