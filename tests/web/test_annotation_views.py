"""One view per action: a discussion page and its in-place fragment are one view, which
loads and authorises what it acts on once.

Stories told here: each `….fragment` address is served by the view of its page; the page
and the fragment refuse the same people with the same status (404 for what may not be
seen, 403 for what may not be done, 409 for its author's deleted contribution), except
that an anonymous visitor is sent to log in by the page and told 401 by the fragment;
and the discussion's modules leave committing to the request's boundary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.annotations import services
from app.models import Role

# Page endpoint → the fragment endpoints served by the same view.
TWINS = {
    "annotations.section": ["annotations.thread_fragment"],
    "annotations.thread": ["annotations.article_fragment"],
    "annotations.reply": ["annotations.reply_form_fragment", "annotations.reply_fragment"],
    "annotations.reply_preview": ["annotations.reply_preview_fragment"],
    "annotations.edit": ["annotations.edit_fragment"],
    "annotations.edit_preview": ["annotations.edit_preview_fragment"],
    "annotations.delete": ["annotations.delete_fragment"],
}


@pytest.mark.parametrize(("page", "fragments"), TWINS.items())
def test_a_page_and_its_fragments_are_one_view(app, page, fragments):
    views = app.view_functions
    for fragment in fragments:
        assert views[fragment] is views[page], fragment


ACTIONS = [("edit", "edit.fragment"), ("delete", "delete.fragment")]


@pytest.mark.parametrize(("page", "fragment"), ACTIONS)
def test_page_and_fragment_refuse_alike(
    client, db, create_annotation, create_user, logged_in, page, fragment
):
    alice = create_user()
    thread = create_annotation(author=alice)
    base = f"/annotations/{thread.id}"

    # Anonymous: the page sends to log in, the script is told 401.
    assert client.get(f"{base}/{page}").status_code == 302
    assert client.get(f"{base}/{fragment}").status_code == 401

    # Nothing there: not found, both ways.
    assert client.get(f"/annotations/999999/{page}").status_code == 404
    assert client.get(f"/annotations/999999/{fragment}").status_code == 404

    # Someone else's contribution: refused, both ways.
    logged_in(create_user())
    assert client.get(f"{base}/{page}").status_code == 403
    assert client.get(f"{base}/{fragment}").status_code == 403


@pytest.mark.parametrize(("page", "fragment"), ACTIONS)
def test_its_author_is_told_a_deleted_contribution_is_gone_both_ways(
    client, db, create_annotation, create_user, logged_in, page, fragment
):
    alice = create_user()
    thread = create_annotation(author=alice)
    create_annotation("An answer.", parent=thread)
    services.delete(alice, thread)
    db.session.commit()
    logged_in(alice)
    for path in (page, fragment):
        response = client.get(f"/annotations/{thread.id}/{path}")
        assert response.status_code == 409, path
        assert "This contribution has been deleted." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR])
def test_only_editors_answer_a_thread(client, create_annotation, create_user, logged_in, role):
    thread = create_annotation()
    logged_in(create_user(role))
    response = client.post(f"/annotations/{thread.id}/disposition", data={"outcome": "noted"})
    assert response.status_code == 403


def test_the_discussion_leaves_committing_to_the_request():
    package = Path(__file__).resolve().parents[2] / "app" / "annotations"
    for module in package.glob("*.py"):
        code = module.read_text()
        assert not re.search(r"\.(commit|rollback)\(\)", code), module.name
