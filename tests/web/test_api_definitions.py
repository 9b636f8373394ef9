"""The glossary API: participants start terms and propose definitions, vote and discuss;
editors adopt (as proposed or edited) and reject; everyone reads the glossary.

Every refused request answers in the CONTRACT's error format and leaves nothing behind.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.models import (
    DefinitionProposal,
    Flag,
    ProposalStatus,
    Role,
    Term,
    Vote,
)
from tests.web.test_api_annotations import API, auth, error_of, token_for

PROPOSAL_FIELDS = {
    "id",
    "term",
    "text",
    "text_html",
    "rationale",
    "rationale_html",
    "author",
    "status",
    "votes",
    "my_vote",
    "created",
    "adopted",
    "superseded_at",
    "editor_reason",
}
TERM_FIELDS = {
    "slug",
    "label",
    "aliases",
    "status",
    "author",
    "created",
    "definition",
    "open_proposals",
    "url",
    "html_url",
}


def count(db, model) -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(model))


def new_term(client, token, **payload):
    return client.post(f"{API}/terms", json=payload, headers=auth(token))


def propose(client, token, slug, text="A definition.", **extra):
    return client.post(
        f"{API}/terms/{slug}/proposals", json={"text": text, **extra}, headers=auth(token)
    )


def vote(client, token, proposal_id, stance):
    return client.put(
        f"{API}/proposals/{proposal_id}/vote", json={"stance": stance}, headers=auth(token)
    )


def adopt(client, token, proposal_id, **payload):
    kwargs = {"json": payload} if payload else {}
    return client.post(f"{API}/proposals/{proposal_id}/adopt", headers=auth(token), **kwargs)


@pytest.fixture
def people(create_user, db):
    """An author, a voter and an editor, each with a token."""
    author, voter = create_user(), create_user()
    editor = create_user(Role.EDITOR)
    return {
        "author": (author, token_for(author, db)),
        "voter": (voter, token_for(voter, db)),
        "editor": (editor, token_for(editor, db)),
    }


@pytest.fixture
def term_with_proposal(client, people):
    """'Public value', with one open proposal by the author."""
    _user, token = people["author"]
    created = new_term(
        client, token, label="Public value", definition="What the *public* values."
    ).get_json()
    return created["slug"], created["proposals"][0]["id"]


# --- terms ------------------------------------------------------------------------------


def test_a_term_is_created_with_a_first_definition(client, people, db):
    user, token = people["author"]
    response = new_term(
        client,
        token,
        label="  Citizen-centric ",
        definition="Designed around *citizens*.",
        rationale="See section 3.",
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= TERM_FIELDS | {"proposals", "history"}
    assert body["slug"] == "citizen-centric" and body["label"] == "Citizen-centric"
    assert response.headers["Location"] == f"{API}/terms/citizen-centric"
    assert body["status"] == "published" and body["aliases"] == []
    assert body["author"] == {"id": user.id, "name": user.display_name}
    assert body["definition"] is None and body["open_proposals"] == 1 and body["history"] == []
    assert body["html_url"].endswith("/glossary/citizen-centric")
    [first] = body["proposals"]
    assert set(first) >= PROPOSAL_FIELDS
    assert first["text"] == "Designed around *citizens*."
    assert first["text_html"] == "<p>Designed around <em>citizens</em>.</p>"
    assert first["rationale"] == "See section 3." and first["status"] == "published"
    assert first["votes"] == {"support": 0, "oppose": 0} and first["my_vote"] is None
    assert (count(db, Term), count(db, DefinitionProposal)) == (1, 1)

    listed = client.get(f"{API}/terms").get_json()
    assert listed["total"] == 1 and listed["next"] is None
    assert listed["items"][0]["slug"] == "citizen-centric"
    assert listed["items"][0]["open_proposals"] == 1


def test_a_term_without_a_definition(client, people, db):
    _user, token = people["author"]
    response = new_term(client, token, label="Public value")
    assert response.status_code == 201
    assert response.get_json()["proposals"] == []
    assert count(db, DefinitionProposal) == 0


@pytest.mark.parametrize("label", ["public VALUE", "Public  value", "PV"])
def test_a_label_already_in_use_is_refused(client, people, db, label):
    _user, token = people["author"]
    editor_token = people["editor"][1]
    assert new_term(client, token, label="Public value").status_code == 201
    assert (
        client.put(
            f"{API}/terms/public-value/aliases",
            json={"aliases": ["PV"]},
            headers=auth(editor_token),
        ).status_code
        == 200
    )

    error = error_of(new_term(client, token, label=label, definition="Another."), 409)

    assert error["code"] == "duplicate" and "label" in error["fields"]
    assert (count(db, Term), count(db, DefinitionProposal)) == (1, 0)


@pytest.mark.parametrize(
    ("definition", "code"), [("", "invalid"), ("   ", "invalid"), ("x" * 5_001, "too_long")]
)
def test_an_empty_or_oversized_definition_is_refused(client, people, db, definition, code):
    _user, token = people["author"]
    error = error_of(new_term(client, token, label="Public value", definition=definition), 422)
    assert error["code"] == code and "definition" in error["fields"]
    assert (count(db, Term), count(db, DefinitionProposal)) == (0, 0)


def test_bad_bodies(client, people, db):
    _user, token = people["author"]
    assert error_of(new_term(client, token, lable="x"), 422)["fields"].keys() == {
        "label",
        "lable",
    }
    assert error_of(new_term(client, token, label=3), 422)["fields"]["label"].startswith(
        "must be a string"
    )
    broken = client.post(
        f"{API}/terms", data="{", content_type="application/json", headers=auth(token)
    )
    assert error_of(broken, 400)["code"] == "invalid_json"
    form = client.post(f"{API}/terms", data={"label": "x"}, headers=auth(token))
    assert error_of(form, 415)["code"] == "unsupported_media_type"
    assert error_of(new_term(client, None, label="x"), 401)["code"] == "unauthorized"
    assert count(db, Term) == 0


def test_a_newcomers_term_waits_for_review(client, people, create_user, db):
    newcomer = create_user(trusted=False)
    token = token_for(newcomer, db)
    response = new_term(client, token, label="Wicked problem", definition="Hard to solve.")

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["proposals"][0]["status"] == "pending"
    assert client.get(f"{API}/terms/wicked-problem", headers=auth(token)).status_code == 200
    assert error_of(client.get(f"{API}/terms/wicked-problem"), 404)
    other = people["voter"][1]
    assert error_of(client.get(f"{API}/terms/wicked-problem", headers=auth(other)), 404)
    assert error_of(propose(client, other, "wicked-problem"), 404)
    assert client.get(f"{API}/terms").get_json()["total"] == 0
    proposal_id = body["proposals"][0]["id"]
    assert error_of(client.get(f"{API}/proposals/{proposal_id}"), 404)


def test_editors_set_aliases_others_may_not(client, people, term_with_proposal, db):
    slug, _ = term_with_proposal
    url = f"{API}/terms/{slug}/aliases"
    refused = client.put(url, json={"aliases": ["PV"]}, headers=auth(people["voter"][1]))
    assert error_of(refused, 403)["code"] == "forbidden"

    response = client.put(
        url, json={"aliases": ["PV", "public values"]}, headers=auth(people["editor"][1])
    )
    assert response.status_code == 200
    assert response.get_json()["aliases"] == ["PV", "public values"]
    bad = client.put(url, json={"aliases": "PV"}, headers=auth(people["editor"][1]))
    assert "aliases" in error_of(bad, 422)["fields"]


def test_list_parameters_are_checked(client):
    assert "state" in error_of(client.get(f"{API}/terms?state=closed"), 400)["fields"]
    assert "limit" in error_of(client.get(f"{API}/terms?limit=201"), 400)["fields"]
    assert "after" in error_of(client.get(f"{API}/terms?after=x"), 400)["fields"]


def test_the_glossary_pages_and_filters(client, people, db):
    token = people["author"][1]
    for label in ("Alpha", "Beta", "Gamma"):
        new_term(client, token, label=label, definition=f"{label} means something.")
    new_term(client, token, label="Delta")

    first = client.get(f"{API}/terms?limit=2").get_json()
    assert [t["slug"] for t in first["items"]] == ["alpha", "beta"]
    assert first["total"] == 4 and first["next"]
    second = client.get(first["next"]).get_json()
    assert [t["slug"] for t in second["items"]] == ["delta", "gamma"]
    assert second["next"] is None
    none = client.get(f"{API}/terms?state=none").get_json()
    assert [t["slug"] for t in none["items"]] == ["delta"]
    assert client.get(f"{API}/terms?state=open").get_json()["total"] == 3
    assert client.get(f"{API}/terms?state=adopted").get_json()["total"] == 0


# --- proposals and votes -------------------------------------------------------------------


def test_a_proposal_is_made(client, people, term_with_proposal):
    slug, _ = term_with_proposal
    user, token = people["voter"]
    response = propose(client, token, slug, "Value *for* the public.", rationale="Moore 1995.")

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= PROPOSAL_FIELDS
    assert response.headers["Location"] == f"{API}/proposals/{body['id']}"
    assert body["term"] == slug and body["author"] == {"id": user.id, "name": user.display_name}
    assert body["text_html"] == "<p>Value <em>for</em> the public.</p>"
    assert body["rationale_html"] == "<p>Moore 1995.</p>"
    assert body["status"] == "published" and body["votes"] == {"support": 0, "oppose": 0}
    assert body["adopted"] is None and body["editor_reason"] is None
    assert error_of(propose(client, token, slug, ""), 422)["fields"] == {
        "text": "Write something first."
    }
    assert error_of(propose(client, token, "no-such-term"), 404)


def test_vote_change_and_withdraw(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    token = people["voter"][1]

    first = vote(client, token, proposal_id, "support")
    assert first.status_code == 200
    assert first.get_json()["stance"] == "support"
    assert first.get_json()["votes"] == {"support": 1, "oppose": 0}
    changed = vote(client, token, proposal_id, "oppose").get_json()
    assert changed["votes"] == {"support": 0, "oppose": 1}
    seen = client.get(f"{API}/proposals/{proposal_id}", headers=auth(token)).get_json()
    assert seen["my_vote"] == "oppose" and seen["votes"] == {"support": 0, "oppose": 1}
    assert client.get(f"{API}/proposals/{proposal_id}").get_json()["my_vote"] is None
    assert count(db, Vote) == 1

    withdrawn = client.delete(f"{API}/proposals/{proposal_id}/vote", headers=auth(token))
    assert withdrawn.status_code == 204
    assert count(db, Vote) == 0
    seen = client.get(f"{API}/proposals/{proposal_id}", headers=auth(token)).get_json()
    assert seen["my_vote"] is None and seen["votes"] == {"support": 0, "oppose": 0}

    assert "stance" in error_of(vote(client, token, proposal_id, "maybe"), 422)["fields"]
    assert error_of(vote(client, None, proposal_id, "support"), 401)
    assert error_of(vote(client, token, 999_999, "support"), 404)


def test_no_vote_on_ones_own_proposal(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    error = error_of(vote(client, people["author"][1], proposal_id, "support"), 403)
    assert error["code"] == "own_proposal"
    assert count(db, Vote) == 0


def test_no_vote_on_a_withdrawn_proposal(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    url = f"{API}/proposals/{proposal_id}/withdraw"
    assert error_of(client.post(url, headers=auth(people["voter"][1])), 403)
    response = client.post(url, headers=auth(people["author"][1]))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"

    error = error_of(vote(client, people["voter"][1], proposal_id, "support"), 409)
    assert error["code"] == "closed"
    assert error_of(client.post(url, headers=auth(people["author"][1])), 409)
    assert count(db, Vote) == 0


@pytest.mark.parametrize("stances", [("support", "oppose"), ("support", "support")])
def test_two_votes_at_once_from_one_account_leave_one(app, people, term_with_proposal, db, stances):
    """Two requests racing from one account: one Vote row, and counts that match it."""
    _slug, proposal_id = term_with_proposal
    token = people["voter"][1]
    db.session.commit()
    db.session.close()  # hold no snapshot or lock while the two requests run
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(stance: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = vote(client, token, proposal_id, stance)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(s,)) for s in stances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200, 200], statuses
    db.session.rollback()
    votes = list(db.session.scalars(select(Vote).where(Vote.proposal_id == proposal_id)))
    assert len(votes) == 1
    proposal = db.session.get(DefinitionProposal, proposal_id)
    db.session.refresh(proposal)
    expected = {"support": 0, "oppose": 0, votes[0].stance.value: 1}
    assert {"support": proposal.support_count, "oppose": proposal.oppose_count} == expected


# --- editors' decisions ----------------------------------------------------------------------


def test_participants_may_not_adopt(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    error = error_of(adopt(client, people["voter"][1], proposal_id), 403)
    assert error["code"] == "forbidden"
    db.session.rollback()
    assert db.session.get(DefinitionProposal, proposal_id).status is ProposalStatus.PUBLISHED


def test_adopting_twice_keeps_the_history(client, people, term_with_proposal, db):
    slug, first_id = term_with_proposal
    editor, editor_token = people["editor"]
    second_id = propose(client, people["voter"][1], slug, "Second wording.").get_json()["id"]
    third_id = propose(client, people["voter"][1], slug, "Third wording.").get_json()["id"]

    adopted = adopt(client, editor_token, first_id)
    assert adopted.status_code == 200
    body = adopted.get_json()
    assert body["status"] == "adopted" and body["adopted"]["by"]["id"] == editor.id
    assert body["adopted"]["text"] == "What the *public* values."
    assert adopt(client, editor_token, second_id).status_code == 200

    page = client.get(f"{API}/terms/{slug}").get_json()
    assert page["definition"]["id"] == second_id
    assert [p["id"] for p in page["history"]] == [first_id]
    assert page["history"][0]["status"] == "superseded" and page["history"][0]["superseded_at"]
    assert [p["id"] for p in page["proposals"]] == [third_id] and page["open_proposals"] == 1

    assert adopt(client, editor_token, third_id).status_code == 200
    page = client.get(f"{API}/terms/{slug}").get_json()
    assert page["definition"]["id"] == third_id
    assert [p["id"] for p in page["history"]] == [second_id, first_id]  # newest first
    assert page["proposals"] == [] and page["open_proposals"] == 0
    # Adopting the first again brings it back; the others stay in the history.
    assert adopt(client, editor_token, first_id).status_code == 200
    page = client.get(f"{API}/terms/{slug}").get_json()
    assert page["definition"]["id"] == first_id
    assert [p["id"] for p in page["history"]] == [third_id, second_id]
    listed = client.get(f"{API}/terms?state=adopted").get_json()
    assert listed["items"][0]["definition"]["id"] == first_id


def test_adopting_an_edited_wording_keeps_the_author(client, people, term_with_proposal, db):
    slug, proposal_id = term_with_proposal
    author = people["author"][0]
    response = adopt(client, people["editor"][1], proposal_id, text="What the public *values*.")

    assert response.status_code == 200
    body = response.get_json()
    assert body["author"]["id"] == author.id
    assert body["text"] == "What the *public* values."
    assert body["adopted"]["text"] == "What the public *values*."
    assert body["adopted"]["text_html"] == "<p>What the public <em>values</em>.</p>"
    definition = client.get(f"{API}/terms/{slug}").get_json()["definition"]
    assert definition["author"]["id"] == author.id
    assert definition["adopted"]["text"] == "What the public *values*."
    bad = adopt(client, people["editor"][1], proposal_id, wording="x")
    assert "wording" in error_of(bad, 422)["fields"]
    blank = adopt(client, people["editor"][1], proposal_id, text="  ")
    assert "text" in error_of(blank, 422)["fields"]


def test_editors_reject_with_a_reason(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    url = f"{API}/proposals/{proposal_id}/reject"
    assert error_of(client.post(url, json={"reason": "No."}, headers=auth(people["voter"][1])), 403)
    missing = client.post(url, json={}, headers=auth(people["editor"][1]))
    assert "reason" in error_of(missing, 422)["fields"]

    response = client.post(url, json={"reason": "Too narrow."}, headers=auth(people["editor"][1]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["editor_reason"] == "Too narrow."
    assert client.get(f"{API}/proposals/{proposal_id}").get_json()["editor_reason"] == (
        "Too narrow."
    )
    assert error_of(adopt(client, people["editor"][1], proposal_id), 409)["code"] == "closed"


# --- discussion and flags ---------------------------------------------------------------------


def test_comments_and_replies(client, people, term_with_proposal):
    _slug, proposal_id = term_with_proposal
    url = f"{API}/proposals/{proposal_id}/comments"
    first = client.post(url, json={"body": "Too *broad*."}, headers=auth(people["voter"][1]))
    assert first.status_code == 201
    comment = first.get_json()
    assert comment["body_html"] == "<p>Too <em>broad</em>.</p>" and comment["parent"] is None
    reply = client.post(
        url, json={"body": "Agreed.", "parent": comment["id"]}, headers=auth(people["author"][1])
    )
    assert reply.status_code == 201 and reply.get_json()["parent"] == comment["id"]
    missing = client.post(
        url, json={"body": "?", "parent": 987_654}, headers=auth(people["author"][1])
    )
    assert "parent" in error_of(missing, 404)["fields"]

    shown = client.get(f"{API}/proposals/{proposal_id}").get_json()
    assert [c["body"] for c in shown["comments"]] == ["Too *broad*.", "Agreed."]


def test_flags_on_a_proposal(client, people, term_with_proposal, db):
    _slug, proposal_id = term_with_proposal
    url = f"{API}/proposals/{proposal_id}/flags"
    flagged = client.post(url, json={"reason": "spam"}, headers=auth(people["voter"][1]))
    assert flagged.status_code == 201
    assert flagged.get_json()["target"] == {"type": "proposal", "id": proposal_id}

    again = client.post(url, json={"reason": "abuse"}, headers=auth(people["voter"][1]))
    assert error_of(again, 409)["code"] == "already_flagged"
    own = client.post(url, json={"reason": "spam"}, headers=auth(people["author"][1]))
    assert error_of(own, 403)["code"] == "own_content"
    bad = client.post(url, json={"reason": "boring"}, headers=auth(people["editor"][1]))
    assert error_of(bad, 422)
    assert count(db, Flag) == 1


def test_flags_on_a_term_and_a_comment(client, people, term_with_proposal, db):
    slug, proposal_id = term_with_proposal
    voter = people["voter"][1]
    term_flag = client.post(f"{API}/terms/{slug}/flags", json={"reason": "off_topic"},
                            headers=auth(voter))  # fmt: skip
    assert term_flag.status_code == 201
    assert term_flag.get_json()["target"]["type"] == "term"
    comment = client.post(
        f"{API}/proposals/{proposal_id}/comments", json={"body": "Hm."}, headers=auth(voter)
    ).get_json()
    flagged = client.post(
        f"{API}/proposal-comments/{comment['id']}/flags",
        json={"reason": "abuse", "note": "rude"},
        headers=auth(people["author"][1]),
    )
    assert flagged.status_code == 201
    assert flagged.get_json()["target"] == {"type": "comment", "id": comment["id"]}
    assert error_of(
        client.post(
            f"{API}/proposal-comments/999999/flags", json={"reason": "spam"}, headers=auth(voter)
        ),
        404,
    )
    assert count(db, Flag) == 2


# --- cost ------------------------------------------------------------------------------------


def _glossary(client, people, n: int) -> None:
    """`n` terms, each with an adopted definition and an open proposal with a comment and
    votes, by different people."""
    author, voter, editor = (people[k][1] for k in ("author", "voter", "editor"))
    for i in range(n):
        body = new_term(client, editor, label=f"Term {i}", definition=f"Meaning {i}.").get_json()
        first = body["proposals"][0]["id"]
        assert adopt(client, editor, first).status_code == 200
        second = propose(client, editor, body["slug"], f"Other {i}.").get_json()["id"]
        assert vote(client, voter, second, "support").status_code == 200
        assert vote(client, author, second, "oppose").status_code == 200
        client.post(
            f"{API}/proposals/{second}/comments", json={"body": "Yes."}, headers=auth(editor)
        )


@pytest.mark.parametrize("as_user", [False, True])
def test_reading_costs_a_fixed_number_of_queries(
    app, client, people, count_queries, db, as_user, monkeypatch
):
    monkeypatch.setitem(app.config, "ANNOTATION_RATE_LIMIT", "1000 per minute")
    headers = auth(people["voter"][1]) if as_user else {}

    def cost(url: str) -> int:
        client.get(url, headers=headers)  # the caller's account, once loaded, stays loaded
        with count_queries() as counter:
            response = client.get(url, headers=headers)
        assert response.status_code == 200
        return counter.count

    _glossary(client, people, 2)
    small = (cost(f"{API}/terms"), cost(f"{API}/terms/term-0"))
    _glossary_more(client, people)
    large = (cost(f"{API}/terms"), cost(f"{API}/terms/term-0"))
    assert client.get(f"{API}/terms").get_json()["total"] == 10
    assert len(client.get(f"{API}/terms/term-0").get_json()["proposals"]) == 10
    assert small == large


def _glossary_more(client, people) -> None:
    """Eight more terms, and nine more proposals on term-0."""
    _glossary_from(client, people, range(2, 10))
    editor, voter = people["editor"][1], people["voter"][1]
    for i in range(9):
        proposal_id = propose(client, editor, "term-0", f"Variant {i}.").get_json()["id"]
        vote(client, voter, proposal_id, "support")


def _glossary_from(client, people, numbers) -> None:
    editor, voter = people["editor"][1], people["voter"][1]
    for i in numbers:
        body = new_term(client, editor, label=f"Term {i}", definition=f"Meaning {i}.").get_json()
        adopt(client, editor, body["proposals"][0]["id"])
        second = propose(client, editor, body["slug"], f"Other {i}.").get_json()["id"]
        vote(client, voter, second, "support")


# --- the OpenAPI document --------------------------------------------------------------------


def test_answers_match_the_openapi_schemas(client, people, term_with_proposal):
    from tests.web.test_openapi import _check, _validator

    document = client.get(f"{API}/openapi.json").get_json()
    slug, proposal_id = term_with_proposal
    voter, editor = people["voter"][1], people["editor"][1]
    voted = vote(client, voter, proposal_id, "support").get_json()
    comment = client.post(
        f"{API}/proposals/{proposal_id}/comments", json={"body": "Yes."}, headers=auth(voter)
    ).get_json()
    adopt(client, editor, proposal_id, text="Edited.")
    proposed = propose(client, voter, slug, "Another.").get_json()

    _check(document, "Vote", voted)
    _check(document, "ProposalComment", comment)
    _check(document, "Proposal", proposed)
    _check(
        document, "TermDetail", client.get(f"{API}/terms/{slug}", headers=auth(voter)).get_json()
    )
    _check(document, "TermList", client.get(f"{API}/terms").get_json())
    _check(document, "ProposalDetail", client.get(f"{API}/proposals/{proposal_id}").get_json())
    _check(document, "Error", client.get(f"{API}/terms/nothing").get_json())
    _check(document, "NewTerm", {"label": "x", "definition": "y", "rationale": None})
    _check(document, "NewVote", {"stance": "oppose"})
    assert list(_validator(document, "NewTerm").iter_errors({"label": "x", "aliases": []}))
