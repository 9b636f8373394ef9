"""Search shows a viewer what the site shows them elsewhere, and nothing more.

Every state of every kind — threads and replies published, pending, hidden, rejected and
deleted, by a restricted and by a suspended author; terms and proposals in each of their
statuses, a proposal on a term awaiting review; sections of a published version and of a
version only previewed — is searched for by each viewer (anonymous, the author, another
participant, a moderator, an editor), through the API and the page. The results must be
exactly the items whose own page shows that viewer their words (the thread's API answer
with its body, the proposal and its term, the term), and the rules in words are checked
too: nobody but the author and moderators sees what waits for review, nobody sees deleted
words, and so on.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.definitions import services as definitions
from app.models import (
    Annotation,
    AnnotationStatus,
    DefinitionProposal,
    ProposalStatus,
    Role,
    Section,
    Term,
    TermStatus,
)
from app.models.base import utcnow
from tests.web.test_api_annotations import auth, open_for_comments, token_for

API = "/api/v1"
WORD = "zebrafinch"
VIEWERS = ("anonymous", "author", "other", "moderator", "editor")
PAPER = f"""---
title: "Finches"
version: "1.0"
authors: [A. Author]
date: 2006-10-24
---

# Birds {{#birds}}

The {WORD} sings in the published text.
"""
PREVIEW = PAPER.replace('version: "1.0"', 'version: "2.0"\nchange_note: "More birds."').replace(
    "sings in the published text.", "sings.\n\n# Draft {#draft}\n\nA previewed " + WORD + " only."
)


@pytest.fixture
def world(db, paper, import_paper, create_user, create_annotation):
    open_for_comments(paper, db)
    people = {
        "author": create_user(name="Ann Author"),
        "other": create_user(name="Otto Other"),
        "moderator": create_user(Role.MODERATOR, name="Mo Moderator"),
        "editor": create_user(Role.EDITOR, name="Ed Editor"),
        "restricted": create_user(name="Rita Restricted"),
        "suspended": create_user(name="Sue Suspended"),
    }
    author, other = people["author"], people["other"]
    items: dict[str, tuple[str, int]] = {}

    open_root = create_annotation(f"{WORD}: the other's open thread", author=other)
    items["thread by other"] = ("annotation", open_root.id)
    for status in AnnotationStatus:
        root = create_annotation(f"{WORD} thread {status}", author=author)
        reply = create_annotation(f"{WORD} reply {status}", author=author, parent=open_root)
        for row, what in ((root, "thread"), (reply, "reply")):
            db.session.get(Annotation, row.id).status = status
            items[f"{what} {status}"] = ("annotation", row.id)
    for who in ("restricted", "suspended"):
        root = create_annotation(f"{WORD} thread by the {who}", author=people[who])
        items[f"thread by {who}"] = ("annotation", root.id)

    open_term = None
    for status in TermStatus:
        term, _ = definitions.create_term(author, f"{WORD} term {status}")
        term.status = status
        items[f"term {status}"] = ("term", term.id)
        open_term = term if status is TermStatus.PUBLISHED else open_term
    for status in ProposalStatus:
        proposal = definitions.propose(author, open_term, f"{WORD} proposal {status}.")
        proposal.status = status
        items[f"proposal {status}"] = ("proposal", proposal.id)
    by_editor = definitions.propose(author, open_term, f"{WORD} turned down by an editor.")
    by_editor.status, by_editor.editor_reason = ProposalStatus.REJECTED, "Too narrow."
    items["proposal rejected by an editor"] = ("proposal", by_editor.id)
    others_pending = definitions.create_term(other, f"{WORD} others pending term")[0]
    on_pending = definitions.propose(author, others_pending, f"{WORD} on a pending term.")
    others_pending.status = TermStatus.PENDING
    items["term pending by other"] = ("term", others_pending.id)
    items["proposal on other's pending term"] = ("proposal", on_pending.id)
    for who in ("restricted", "suspended"):
        term, proposal = definitions.create_term(
            people[who], f"{WORD} term by the {who}", definition=f"{WORD} by the {who}."
        )
        items[f"term by {who}"] = ("term", term.id)
        items[f"proposal by {who}"] = ("proposal", proposal.id)
    db.session.commit()

    # Sanctions come after the contributions, as they would.
    people["restricted"].restricted_at = utcnow()
    people["suspended"].suspended_at = utcnow()
    people["suspended"].suspended_until = utcnow() + timedelta(days=30)
    db.session.commit()

    import_paper(PAPER, slug="finches")
    birds = db.session.scalar(select(Section.id).where(Section.key == "birds"))
    items["section of a published version"] = ("section", birds)
    return {"people": people, "items": items}


def _client(app, world, name):
    client = app.test_client()
    headers = {}
    if name != "anonymous":
        headers = auth(token_for(world["people"][name], _db()))
    return client, headers


def _db():
    from app.extensions import db

    return db


def shown_elsewhere(client, headers, db, kind: str, ident: int) -> bool:
    """Whether the item's own page shows the viewer its words."""
    if kind == "annotation":
        answer = client.get(f"{API}/annotations/{ident}", headers=headers)
        return answer.status_code == 200 and bool(answer.get_json()["body"])
    if kind == "proposal":
        proposal = db.session.get(DefinitionProposal, ident)
        slug = db.session.get(Term, proposal.term_id).slug
        return (
            client.get(f"{API}/proposals/{ident}", headers=headers).status_code == 200
            and client.get(f"{API}/terms/{slug}", headers=headers).status_code == 200
        )
    if kind == "term":
        slug = db.session.get(Term, ident).slug
        return client.get(f"{API}/terms/{slug}", headers=headers).status_code == 200
    return True  # a section of a published version: public


def searched(client, headers) -> set[tuple[str, int]]:
    answer = client.get(f"{API}/search", query_string={"q": WORD, "limit": 200}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["total"] == len(body["items"])
    # A page shorter than the hits counts the same hits: the total is counted from what
    # the viewer may see, not from the page.
    first = client.get(f"{API}/search", query_string={"q": WORD, "limit": 1}, headers=headers)
    assert first.get_json()["total"] == body["total"]
    return {(item["type"], item["id"]) for item in body["items"]}


def test_each_viewer_finds_exactly_what_the_site_shows_them(app, db, world, client):
    editor_token = token_for(world["people"]["editor"], db)
    preview = client.post(
        f"{API}/papers/finches/versions?dry_run=1",
        json={"source": PREVIEW},
        headers=auth(editor_token),
    )
    assert preview.status_code == 200, preview.get_json()  # previewed, not published

    names = {value: key for key, value in world["items"].items()}
    seen: dict[str, set[str]] = {}
    for viewer in VIEWERS:
        client, headers = _client(app, world, viewer)
        found = searched(client, headers)
        assert found <= set(names), f"{viewer} found something else: {found - set(names)}"
        expected = {
            item for item in world["items"].values() if shown_elsewhere(client, headers, db, *item)
        }
        assert found == expected, (
            viewer,
            sorted(names[i] for i in found - expected),
            sorted(names[i] for i in expected - found),
        )
        seen[viewer] = {names[item] for item in found}

    everyone_sees = {
        "thread by other",
        "thread published",
        "reply published",
        "thread by suspended",
        "term published",
        "term by suspended",
        "proposal published",
        "proposal adopted",
        "proposal superseded",
        "proposal withdrawn",
        "proposal rejected by an editor",
        "proposal by suspended",
        "section of a published version",
    }
    assert seen["anonymous"] == seen["editor"] == everyone_sees
    # The other participant started the term awaiting review: theirs, and what is on it.
    assert seen["other"] == everyone_sees | {
        "term pending by other",
        "proposal on other's pending term",
    }
    author_also = {
        "thread pending", "reply pending", "thread hidden", "reply hidden",
        "thread rejected", "reply rejected", "term pending", "term hidden", "term rejected",
        "proposal pending", "proposal hidden", "proposal rejected",
    }  # fmt: skip
    assert seen["author"] == everyone_sees | author_also
    moderator_also = {
        "thread pending", "reply pending", "thread hidden", "reply hidden",
        "thread by restricted", "term pending", "term hidden", "term by restricted",
        "term pending by other", "proposal pending", "proposal hidden",
        "proposal on other's pending term",
    }  # fmt: skip
    assert seen["moderator"] == everyone_sees | moderator_also
    for viewer in VIEWERS:
        assert not {name for name in seen[viewer] if "deleted" in name}
        if viewer not in ("moderator", "other"):
            assert "proposal on other's pending term" not in seen[viewer]


def test_the_page_shows_the_same_results(app, db, world):
    for viewer in VIEWERS:
        client, headers = _client(app, world, viewer)
        expected = searched(client, headers)
        page = client.get("/search", query_string={"q": WORD}, headers=headers)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        count = re.search(r"(\d+) results?", html)
        assert count and int(count.group(1)) == len(expected), viewer
