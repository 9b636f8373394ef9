"""The glossary pages: start a term, propose, vote, discuss, withdraw, adopt, reject, flag —
through the plain forms, as a browser without JavaScript would."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.definitions import services
from app.models import (
    DefinitionProposal,
    Flag,
    ProposalComment,
    ProposalStatus,
    Role,
    Term,
    Vote,
)


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def create_term(db, create_user):
    """A term (and its first proposal when `definition` is given), through the services."""

    def factory(label="Digital sovereignty", *, author=None, definition=None, **options):
        author = author or create_user()
        term, proposal = services.create_term(author, label, definition=definition, **options)
        db.session.commit()
        return term, proposal

    return factory


@pytest.fixture
def create_proposal(db, create_user):
    def factory(term, text="A definition.", *, author=None, rationale=None):
        proposal = services.propose(author or create_user(), term, text, rationale)
        db.session.commit()
        return proposal

    return factory


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edna Editor")


def proposal_article(response, proposal):
    article = soup_of(response).find(id=f"proposal-{proposal.id}")
    assert article is not None, f"proposal {proposal.id} is not on the page"
    return article


# --- starting a term ------------------------------------------------------------------------


def test_a_participant_starts_a_term_with_a_first_definition(client, db, create_user, logged_in):
    author = create_user(name="Ada")
    logged_in(author)
    response = client.post(
        "/glossary/",
        data={
            "label": "Digital  sovereignty",
            "definition": "Control over *one's own* digital infrastructure.",
            "rationale": "From the 2024 paper.",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/glossary/digital-sovereignty")
    term = db.session.scalar(select(Term))
    assert term.label == "Digital sovereignty"
    proposal = db.session.scalar(select(DefinitionProposal))
    assert proposal.author_id == author.id and proposal.status is ProposalStatus.PUBLISHED

    page = client.get("/glossary/digital-sovereignty")
    assert page.status_code == 200
    article = proposal_article(page, proposal)
    assert article.find("em").get_text() == "one's own"
    assert "Proposal by Ada" in article.get_text(" ", strip=True)
    assert "From the 2024 paper." in article.get_text()


@pytest.mark.parametrize("label", ["DIGITAL SOVEREIGNTY", "digital sovereignty", "Sovereignty"])
def test_a_label_already_naming_a_term_is_refused_and_nothing_is_stored(
    client, db, create_term, editor, create_user, logged_in, label
):
    term, _ = create_term("Digital sovereignty")
    services.set_aliases(editor, term, ["Sovereignty"])
    db.session.commit()
    logged_in(create_user())
    response = client.post("/glossary/", data={"label": label, "definition": "Something."})
    assert response.status_code == 409
    error = soup_of(response).find(id="label-error")
    assert error is not None and "already names the term" in error.get_text()
    db.session.rollback()
    assert count(db, Term) == 1
    assert count(db, DefinitionProposal) == 0


@pytest.mark.parametrize(
    ("definition", "rationale", "field"),
    [("x" * 5001, "", "definition"), ("", "A rationale without a definition.", "rationale")],
)
def test_an_oversized_definition_or_a_lone_rationale_is_refused(
    client, db, create_user, logged_in, definition, rationale, field
):
    logged_in(create_user())
    response = client.post(
        "/glossary/", data={"label": "Commons", "definition": definition, "rationale": rationale}
    )
    assert response.status_code == 422
    assert soup_of(response).find(id=f"{field}-error") is not None
    db.session.rollback()
    assert count(db, Term) == 0


def test_the_new_term_page_prefills_the_label_or_points_to_the_existing_term(
    client, create_term, create_user, logged_in
):
    create_term("Open data")
    logged_in(create_user())
    soup = soup_of(client.get("/glossary/new?label=Public%20value"))
    assert soup.find("input", attrs={"name": "label"})["value"] == "Public value"

    soup = soup_of(client.get("/glossary/new?label=open%20DATA"))
    assert soup.find("form", attrs={"action": "/glossary/"}) is None
    assert soup.find("a", string="Open data")["href"] == "/glossary/open-data"


def test_anonymous_visitors_read_but_are_sent_to_log_in_to_post(client, db, create_term):
    _term, _ = create_term("Open data", definition="Data anyone may use.")
    assert client.get("/glossary/").status_code == 200
    assert client.get("/glossary/open-data").status_code == 200
    for path in ["/glossary/", "/glossary/open-data/proposals"]:
        response = client.post(path, data={"label": "X", "text": "Y"})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert count(db, Term) == 1


def test_an_unknown_term_is_not_found(client):
    assert client.get("/glossary/no-such-term").status_code == 404


# --- proposing and voting -------------------------------------------------------------------


def test_a_participant_proposes_a_definition(client, db, create_term, create_user, logged_in):
    _term, _ = create_term("Open data")
    logged_in(create_user())
    response = client.post(
        "/glossary/open-data/proposals",
        data={"text": "Data **anyone** may use.", "rationale": "Open Definition 2.1"},
    )
    assert response.status_code == 303
    proposal = db.session.scalar(select(DefinitionProposal))
    assert response.headers["Location"].endswith(f"/glossary/open-data#proposal-{proposal.id}")
    assert proposal.text == "Data **anyone** may use."


def test_an_empty_proposal_is_refused_at_its_field(client, db, create_term, create_user, logged_in):
    create_term("Open data")
    logged_in(create_user())
    response = client.post("/glossary/open-data/proposals", data={"text": "  "})
    assert response.status_code == 422
    assert "Write something first." in soup_of(response).find(id="text-error").get_text()
    assert count(db, DefinitionProposal) == 0


def test_a_vote_can_be_changed_and_stays_one_vote(client, db, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Data anyone may use.")
    logged_in(create_user())
    url = f"/glossary/open-data/proposals/{proposal.id}/vote"
    assert client.post(url, data={"stance": "support"}).status_code == 303
    assert client.post(url, data={"stance": "oppose"}).status_code == 303
    db.session.rollback()
    votes = db.session.scalars(select(Vote)).all()
    assert [v.stance.value for v in votes] == ["oppose"]
    article = proposal_article(client.get("/glossary/open-data"), proposal)
    text = article.get_text(" ", strip=True)
    assert "Support: 0" in text and "Oppose: 1" in text and "Your vote: oppose" in text

    assert client.post(url, data={"stance": "withdraw"}).status_code == 303
    db.session.rollback()
    assert count(db, Vote) == 0


def vote_buttons(client, proposal) -> dict[str, dict]:
    """The vote buttons of a proposal as the viewer gets them: by what they say first."""
    article = proposal_article(client.get("/glossary/open-data"), proposal)
    found = {}
    for button in article.select("form.proposal__vote button[aria-pressed]"):
        words = button.get_text(" ", strip=True)
        found["Support" if "Support" in words else "Oppose"] = {
            "pressed": button["aria-pressed"],
            "value": button["value"],
            "words": words,
        }
    return found


def test_the_vote_buttons_say_which_is_ones_vote(client, db, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Data anyone may use.")
    logged_in(create_user())
    url = f"/glossary/open-data/proposals/{proposal.id}/vote"
    buttons = vote_buttons(client, proposal)
    assert {k: (b["pressed"], b["value"]) for k, b in buttons.items()} == {
        "Support": ("false", "support"),
        "Oppose": ("false", "oppose"),
    }
    assert not any("(your vote)" in b["words"] or "✓" in b["words"] for b in buttons.values())

    client.post(url, data={"stance": "support"})
    buttons = vote_buttons(client, proposal)
    assert buttons["Support"]["pressed"] == "true" and buttons["Oppose"]["pressed"] == "false"
    # Not by colour alone: a check mark and words say it too.
    assert buttons["Support"]["words"].startswith("✓ Support")
    assert buttons["Support"]["words"].endswith("(your vote)")
    assert "(your vote)" not in buttons["Oppose"]["words"]
    # A pressed toggle, pressed again, lets go: the vote is withdrawn.
    assert buttons["Support"]["value"] == "withdraw"

    client.post(url, data={"stance": "oppose"})
    buttons = vote_buttons(client, proposal)
    assert buttons["Support"]["pressed"] == "false" and buttons["Oppose"]["pressed"] == "true"

    client.post(url, data={"stance": buttons["Oppose"]["value"]})
    db.session.rollback()
    assert count(db, Vote) == 0
    buttons = vote_buttons(client, proposal)
    assert {b["pressed"] for b in buttons.values()} == {"false"}


def test_no_vote_on_ones_own_proposal(client, db, create_term, create_user, logged_in):
    author = create_user()
    _term, proposal = create_term("Open data", author=author, definition="Mine.")
    logged_in(author)
    article = proposal_article(client.get("/glossary/open-data"), proposal)
    assert article.find("button", attrs={"value": "support"}) is None
    assert article.find("button", string="Withdraw my proposal") is not None

    response = client.post(
        f"/glossary/open-data/proposals/{proposal.id}/vote", data={"stance": "support"}
    )
    assert response.status_code == 403
    alert = proposal_article(response, proposal).find(attrs={"role": "alert"})
    assert "your own proposal" in alert.get_text()
    assert count(db, Vote) == 0


def test_others_see_vote_buttons(client, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Theirs.")
    logged_in(create_user())
    article = proposal_article(client.get("/glossary/open-data"), proposal)
    assert article.find("button", attrs={"value": "support"}) is not None
    assert article.find("button", attrs={"value": "oppose"}) is not None


def test_no_vote_on_a_withdrawn_proposal(client, db, create_term, create_user, logged_in):
    author = create_user()
    _term, proposal = create_term("Open data", author=author, definition="Withdrawn soon.")
    logged_in(author)
    response = client.post(f"/glossary/open-data/proposals/{proposal.id}/withdraw")
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(DefinitionProposal, proposal.id).status is ProposalStatus.WITHDRAWN

    client.post("/logout")
    logged_in(create_user())
    response = client.post(
        f"/glossary/open-data/proposals/{proposal.id}/vote", data={"stance": "support"}
    )
    assert response.status_code == 409
    assert count(db, Vote) == 0
    badge = proposal_article(response, proposal).find(class_="status-badge")
    assert badge.get_text(strip=True) == "Withdrawn"


# --- the editors' decisions -----------------------------------------------------------------


def test_a_participant_cannot_adopt(client, db, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Data anyone may use.")
    logged_in(create_user())
    assert (
        proposal_article(client.get("/glossary/open-data"), proposal).find(
            "summary", string=lambda s: s and s.startswith("Adopt")
        )
        is None
    )
    response = client.post(f"/glossary/open-data/proposals/{proposal.id}/adopt")
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.get(DefinitionProposal, proposal.id).status is ProposalStatus.PUBLISHED


def test_an_editor_adopts_a_proposal_which_becomes_the_definition(
    client, db, create_term, create_user, editor, logged_in
):
    author = create_user(name="Ada")
    _term, proposal = create_term("Open data", author=author, definition="Data anyone may use.")
    logged_in(editor)
    response = client.post(
        f"/glossary/open-data/proposals/{proposal.id}/adopt",
        data={f"adopt{proposal.id}-text": "Data anyone may *use and share*."},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#definition")
    soup = soup_of(client.get("/glossary/open-data"))
    definition = soup.find(id="definition")
    assert definition.find("em").get_text() == "use and share"
    credit_element = definition.find(class_="definition__credit")
    credit = " ".join(credit_element.get_text().split())
    assert "Proposed by Ada; adopted by Edna Editor on" in credit
    names = [name.get_text() for name in credit_element.select("[translate=no]")]
    assert names == ["Ada", "Edna Editor"]
    assert "Edited on adoption." in credit
    original = definition.find("details", class_="definition__original")
    assert "Data anyone may use." in original.get_text()

    glossary = soup_of(client.get("/glossary/"))
    assert glossary.find(id="term-open-data").find("em").get_text() == "use and share"


def test_adopting_another_keeps_the_first_in_the_history(
    client, db, create_term, create_proposal, editor, logged_in
):
    term, first = create_term("Open data", definition="First wording.")
    second = create_proposal(term, "Second wording.")
    third = create_proposal(term, "Third wording.")
    logged_in(editor)
    for proposal in (first, second, third):
        response = client.post(f"/glossary/open-data/proposals/{proposal.id}/adopt")
        assert response.status_code == 303
    soup = soup_of(client.get("/glossary/open-data"))
    assert "Third wording." in soup.find(id="definition").get_text()
    items = soup.find(id="history").find_all("li", class_="definition-history__item")
    assert [item["id"] for item in items] == [f"proposal-{second.id}", f"proposal-{first.id}"]
    for item in items:
        assert item.find(class_="status-badge").get_text(strip=True) == "Superseded"
        assert "superseded on" in item.find(class_="definition__credit").get_text()
        assert len(item.find(class_="definition__credit").find_all("time")) == 2


def test_an_editor_rejects_with_a_reason(client, db, create_term, editor, logged_in):
    _term, proposal = create_term("Open data", definition="Not quite.")
    logged_in(editor)
    url = f"/glossary/open-data/proposals/{proposal.id}/reject"
    response = client.post(url, data={f"reject{proposal.id}-reason": " "})
    assert response.status_code == 422
    article = proposal_article(response, proposal)
    assert "Say why." in article.find(id=f"reject{proposal.id}-reason-error").get_text()
    assert article.find("details", attrs={"open": True}) is not None

    response = client.post(url, data={f"reject{proposal.id}-reason": "Too <b>narrow</b>."})
    assert response.status_code == 303
    article = proposal_article(client.get("/glossary/open-data"), proposal)
    assert article.find(class_="status-badge").get_text(strip=True) == "Rejected"
    assert "Too <b>narrow</b>." in article.get_text()
    assert article.find("b") is None


def test_editors_set_aliases(client, db, create_term, editor, logged_in):
    create_term("Open data")
    logged_in(editor)
    response = client.post("/glossary/open-data/aliases", data={"aliases": "open datasets,\nOD"})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(Term)).aliases == ["open datasets", "OD"]


# --- discussion -----------------------------------------------------------------------------


def test_comment_and_reply(client, db, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Data anyone may use.")
    logged_in(create_user(name="Bea"))
    url = f"/glossary/open-data/proposals/{proposal.id}/comments"
    response = client.post(url, data={f"p{proposal.id}-body": "Too broad?"})
    assert response.status_code == 303
    first = db.session.scalar(select(ProposalComment))
    assert response.headers["Location"].endswith(f"#comment-{first.id}")

    client.post("/logout")
    logged_in(create_user(name="Cy"))
    page = client.get(f"/glossary/open-data?reply={first.id}")
    form = soup_of(page).find(id=f"comment-form-{proposal.id}")
    assert "Replying to Bea." in form.get_text()
    assert form.find("input", attrs={"name": f"p{proposal.id}-parent_id"})["value"] == str(first.id)
    response = client.post(
        url, data={f"p{proposal.id}-body": "No.", f"p{proposal.id}-parent_id": str(first.id)}
    )
    assert response.status_code == 303
    db.session.rollback()
    reply = db.session.scalars(select(ProposalComment).order_by(ProposalComment.id)).all()[-1]
    assert reply.parent_id == first.id

    items = proposal_article(client.get("/glossary/open-data"), proposal).find_all(
        "li", class_="glossary-comment"
    )
    assert [i["id"] for i in items] == [f"comment-{first.id}", f"comment-{reply.id}"]
    assert "in reply to Bea" in items[1].get_text()


# --- pre-moderation and filters -------------------------------------------------------------


def test_a_newcomers_term_awaits_review_and_is_invisible_to_others(
    client, db, create_user, logged_in
):
    newcomer = create_user(trusted=False)
    logged_in(newcomer)
    response = client.post("/glossary/", data={"label": "Civic tech", "definition": "Tools."})
    assert response.status_code == 303
    page = client.get("/glossary/civic-tech")
    assert "Awaiting review" in soup_of(page).find("h1").get_text()
    assert (
        "Awaiting review" in soup_of(client.get("/glossary/")).find(id="term-civic-tech").get_text()
    )

    client.post("/logout")
    assert client.get("/glossary/civic-tech").status_code == 404
    assert soup_of(client.get("/glossary/")).find(id="term-civic-tech") is None
    logged_in(create_user())
    assert client.get("/glossary/civic-tech").status_code == 404


def test_filters(client, db, create_term, create_proposal, editor, logged_in):
    create_term("Alpha")
    _t, _beta = create_term("Beta", definition="Open one.")
    _t, gamma = create_term("Gamma", definition="Adopted one.")
    services.adopt(editor, gamma)
    db.session.commit()

    def shown(state):
        soup = soup_of(client.get(f"/glossary/?state={state}"))
        current = soup.find("nav", class_="glossary-filters").find(attrs={"aria-current": "page"})
        return current["href"], [dt.a.get_text() for dt in soup.find_all("dt")]

    assert shown("all")[1] == ["Alpha", "Beta", "Gamma"]
    assert shown("adopted") == ("/glossary/?state=adopted", ["Gamma"])
    assert shown("open")[1] == ["Beta"]
    assert shown("none")[1] == ["Alpha"]
    soup = soup_of(client.get("/glossary/"))
    assert "1 open proposal" in soup.find(id="term-beta").get_text()
    assert "No proposal yet" in soup.find(id="term-alpha").get_text()
    letters = soup.find("nav", class_="glossary-letters")
    assert [a["href"] for a in letters.find_all("a")] == ["#letter-A", "#letter-B", "#letter-G"]


# --- flags ----------------------------------------------------------------------------------


def test_flag_a_proposal(client, db, create_term, create_user, logged_in):
    _term, proposal = create_term("Open data", definition="Spam spam.")
    logged_in(create_user())
    assert client.get(f"/glossary/flag/proposal/{proposal.id}").status_code == 200
    response = client.post(f"/glossary/flag/proposal/{proposal.id}", data={"reason": "spam"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/glossary/open-data#proposal-{proposal.id}")
    assert count(db, Flag) == 1
    assert client.get(f"/glossary/flag/proposal/{proposal.id}").status_code == 409
    assert client.get("/glossary/flag/paper/1").status_code == 404


# --- escaping and query counts --------------------------------------------------------------


def test_markup_in_labels_rationales_and_comments_is_escaped(
    client, db, create_term, create_user, logged_in
):
    term, proposal = create_term(
        "<script>x</script> term", definition="Fine.", rationale="<img src=x onerror=alert(1)>"
    )
    services.comment(create_user(), proposal, "<iframe src=//evil></iframe> hi")
    db.session.commit()
    for path in ["/glossary/", f"/glossary/{term.slug}"]:
        soup = soup_of(client.get(path))
        main = soup.find("main")
        assert main.find("script") is None
        assert main.find("img") is None
        assert main.find("iframe") is None
        assert "<script>x</script> term" in main.get_text()


def cost(db, client, count_queries, url: str) -> int:
    """The queries of one request, with everything the test's session holds expired (the
    test shares the app's session)."""
    db.session.commit()
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def _fill_glossary(create_term, create_proposal, editor, db, start, n):
    for i in range(start, start + n):
        term, proposal = create_term(f"Term {i:02d}", definition=f"Definition {i}.")
        if i % 2:
            services.adopt(editor, proposal)
            db.session.commit()
            create_proposal(term, "Another.")


def test_the_glossary_costs_the_same_queries_for_2_or_12_terms(
    client, db, create_term, create_proposal, create_user, editor, logged_in, count_queries
):
    logged_in(create_user())
    _fill_glossary(create_term, create_proposal, editor, db, 0, 2)
    few = cost(db, client, count_queries, "/glossary/")
    _fill_glossary(create_term, create_proposal, editor, db, 2, 10)
    many = cost(db, client, count_queries, "/glossary/")
    assert len(soup_of(client.get("/glossary/")).find_all("dt")) == 12
    assert many == few


def test_a_term_page_costs_the_same_queries_for_1_or_8_proposals(
    client, db, create_term, create_proposal, create_user, editor, logged_in, count_queries
):
    viewer = create_user()
    term, adopted = create_term("Open data", definition="Adopted.")
    services.adopt(editor, adopted)
    services.comment(create_user(), adopted, "On the adopted one.")
    db.session.commit()

    def add_proposal():
        proposal = create_proposal(term, "Open proposal.")
        first = services.comment(create_user(), proposal, "A comment.")
        services.comment(create_user(), proposal, "A reply.", parent=first)
        services.vote(viewer, proposal, "support")
        db.session.commit()

    add_proposal()
    logged_in(viewer)
    one = cost(db, client, count_queries, "/glossary/open-data")
    for _ in range(7):
        add_proposal()
    eight = cost(db, client, count_queries, "/glossary/open-data")
    response = client.get("/glossary/open-data")
    assert len(soup_of(response).find(id="proposals").find_all("article")) == 8
    assert eight == one


def test_the_prefixed_forms_carry_their_own_csrf_token(csrf_client, db, create_term, create_user):
    """Forms repeated per proposal have prefixed fields; their token must be prefixed too."""
    from tests.conftest import DEFAULT_PASSWORD, csrf_token_from

    _term, proposal = create_term("Open data", definition="Data anyone may use.")
    user = create_user()
    login_token = csrf_token_from(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post(
        "/login",
        data={"csrf_token": login_token, "email": user.email, "password": DEFAULT_PASSWORD},
    )
    page = csrf_client.get("/glossary/open-data")
    token = soup_of(page).find("input", attrs={"name": f"p{proposal.id}-csrf_token"})
    assert token is not None
    response = csrf_client.post(
        f"/glossary/open-data/proposals/{proposal.id}/comments",
        data={
            f"p{proposal.id}-body": "With a token.",
            f"p{proposal.id}-csrf_token": token["value"],
        },
    )
    assert response.status_code == 303
    assert count(db, ProposalComment) == 1
    without = csrf_client.post(
        f"/glossary/open-data/proposals/{proposal.id}/comments",
        data={f"p{proposal.id}-body": "Without a token."},
    )
    assert without.status_code == 400


def test_a_term_page_and_the_api_say_where_the_term_occurs(client, paper, create_user, db):
    from app.definitions import services as glossary

    glossary.create_term(create_user(), "eGovernment", aliases=["e-Government"])
    db.session.commit()
    page = client.get("/glossary/egovernment").get_data(as_text=True)
    assert "In the papers:" in page and "#summing-up" in page
    found = client.get("/api/v1/terms/egovernment").get_json()["occurrences"]
    by_section = {o["section"]: o["count"] for o in found}
    assert by_section["summing-up"] >= 2 and all(o["version"] == "5.0" for o in found)
    assert "introduction" not in by_section or by_section["introduction"] >= 1
