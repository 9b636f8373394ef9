"""Moderating the glossary: terms, definition proposals and comments on proposals go through
the same pre-moderation, flags, queue and log as annotations.

Stories told here: a newcomer's term and first definition wait until a moderator approves
both; three flags hide a proposal until a moderator restores it; a flagged comment is kept
with its proposal and term in view; the item page and the log link every kind to where it
is read; markup in labels, definitions and comments is escaped or sanitised; and the queue
costs the same however many items of each kind it lists.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.definitions import queries as glossary_queries
from app.definitions import services as glossary
from app.models import (
    CommentStatus,
    DefinitionProposal,
    ModerationLog,
    ProposalComment,
    ProposalStatus,
    Role,
    TargetKind,
    Term,
    TermStatus,
)
from app.moderation import queries, services
from tests.conftest import login

API = "/api/v1"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def articles(response) -> list:
    return soup_of(response).select("article.mod-item")


def article_for(response, kind: str, item_id: int):
    found = soup_of(response).select_one(f"article#item-{kind}-{item_id}")
    assert found is not None, f"no {kind} {item_id} in the page"
    return found


@pytest.fixture
def client_for(app):
    def make(user=None):
        browser = app.test_client()
        if user is not None:
            assert login(browser, user).status_code in (302, 303)
        return browser

    return make


@pytest.fixture
def moderator(create_user):
    return create_user(Role.MODERATOR, name="Mona Moderator")


@pytest.fixture
def newcomer(create_user):
    return create_user(trusted=False, name="Nina Newcomer")


@pytest.fixture
def published_proposal(create_user, db):
    """A trusted participant's term with its first definition, both published."""
    author = create_user(name="Paula Proposer")
    term, proposal = glossary.create_term(
        author, "Digital sovereignty", definition="Control over one's own digital means."
    )
    db.session.commit()
    assert term.status is TermStatus.PUBLISHED and proposal.status is ProposalStatus.PUBLISHED
    return proposal


def decide(browser, key: str, action: str, reason: str, next_url: str = "/moderation/"):
    response = browser.post(
        "/moderation/decide",
        data={"target": key, "action": action, "reason": reason, "next": next_url},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return response


def log_rows(db) -> list[ModerationLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(ModerationLog).order_by(ModerationLog.id)))


# --- pre-moderation ---------------------------------------------------------------------


def test_a_newcomers_term_and_definition_wait_until_a_moderator_approves_both(
    newcomer, moderator, create_user, client_for, db
):
    term, proposal = glossary.create_term(
        newcomer,
        "Open data",
        aliases=["open datasets"],
        definition="Data that *anyone* may use.",
        rationale="As the open definition puts it.",
    )
    db.session.commit()
    term_id, proposal_id, slug = term.id, proposal.id, term.slug
    assert term.status is TermStatus.PENDING and proposal.status is ProposalStatus.PENDING
    other = create_user(name="Otto Other")
    assert [s.term.id for s in glossary_queries.glossary(other)] == []

    mod = client_for(moderator)
    queue = mod.get("/moderation/")
    assert queue.status_code == 200
    term_article = article_for(queue, "term", term_id)
    assert text_of(term_article.h2) == "Term by Nina Newcomer — awaiting review"
    facts = text_of(term_article.select_one(".mod-term"))
    assert "Open data" in facts and "open datasets" in facts
    assert term_article.select_one(".mod-item__where a")["href"] == f"/glossary/{slug}"
    assert "joined" in text_of(term_article.select_one(".mod-record"))
    proposal_article = article_for(queue, "proposal", proposal_id)
    assert text_of(proposal_article.h2) == "Definition proposal by Nina Newcomer — awaiting review"
    where = proposal_article.select_one(".mod-item__where a")
    assert where["href"] == f"/glossary/{slug}" and text_of(where) == "Open data"
    assert proposal_article.select_one(".mod-definition em").get_text() == "anyone"
    assert "As the open definition puts it." in text_of(
        proposal_article.select_one(".mod-rationale")
    )
    for article in (term_article, proposal_article):
        buttons = [text_of(b) for b in article.select("form.mod-decision button")]
        assert buttons == ["Approve", "Reject"]
        assert article.select_one("input[name=targets][form=bulk-approve]") is not None

    decide(mod, f"term:{term_id}", "approve", "A term the papers use.")
    decide(mod, f"proposal:{proposal_id}", "approve", "A fair first definition.")
    assert "Nothing waits for a decision." in text_of(soup_of(mod.get("/moderation/")))

    db.session.expire_all()
    assert db.session.get(Term, term_id).status is TermStatus.PUBLISHED
    assert db.session.get(DefinitionProposal, proposal_id).status is ProposalStatus.PUBLISHED
    [summary] = glossary_queries.glossary(other)
    assert summary.term.id == term_id and summary.open_count == 1
    rows = log_rows(db)
    assert [(r.target_kind, r.target_id, r.action.value, r.reason) for r in rows] == [
        (TargetKind.TERM, term_id, "approve", "A term the papers use."),
        (TargetKind.PROPOSAL, proposal_id, "approve", "A fair first definition."),
    ]
    # The log links each to where it is read, and to its history.
    log = soup_of(mod.get("/moderation/log"))
    hrefs = [a["href"] for a in log.select("table.mod-log tbody a")]
    assert f"/glossary/{slug}#proposal-{proposal_id}" in hrefs
    assert f"/glossary/{slug}" in hrefs
    assert f"/moderation/items/term/{term_id}" in hrefs
    assert f"/moderation/items/proposal/{proposal_id}" in hrefs


def test_several_glossary_items_are_approved_at_once(newcomer, moderator, client_for, db):
    term, proposal = glossary.create_term(
        newcomer, "Interoperability", definition="Working together."
    )
    db.session.commit()
    response = client_for(moderator).post(
        "/moderation/bulk",
        data={"targets": [f"term:{term.id}", f"proposal:{proposal.id}"], "reason": "Both fine."},
    )
    assert response.status_code == 303
    assert [r.target_kind for r in log_rows(db)] == [TargetKind.TERM, TargetKind.PROPOSAL]


# --- flags ------------------------------------------------------------------------------


def test_three_flags_hide_a_proposal_until_a_moderator_restores_it(
    published_proposal, moderator, create_user, client_for, db
):
    proposal_id = published_proposal.id
    for reason in ("spam", "abuse", "off_topic"):
        services.flag(create_user(), TargetKind.PROPOSAL, published_proposal, reason, "")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DefinitionProposal, proposal_id).status is ProposalStatus.HIDDEN

    mod = client_for(moderator)
    queue = mod.get("/moderation/?state=flagged")
    [article] = articles(queue)
    assert text_of(article.h2) == (
        "Definition proposal by Paula Proposer — hidden, flagged 3 times"
    )
    flags = text_of(article.select_one(".mod-flags"))
    for label in ("Spam", "Abuse or harassment", "Off topic"):
        assert label in flags
    assert "Control over one's own digital means." in text_of(article)
    assert "Digital sovereignty" in text_of(article.select_one(".mod-item__where"))
    buttons = [text_of(b) for b in article.select("form.mod-decision button")]
    assert buttons == ["Keep hidden", "Restore"]

    decide(mod, f"proposal:{proposal_id}", "restore", "The flags were not justified.")
    db.session.expire_all()
    assert db.session.get(DefinitionProposal, proposal_id).status is ProposalStatus.PUBLISHED
    assert articles(mod.get("/moderation/")) == []
    rows = log_rows(db)
    assert [(r.moderator_id, r.action.value, r.old_state, r.new_state) for r in rows] == [
        (None, "hide", "published", "hidden"),
        (moderator.id, "restore", "hidden", "published"),
    ]
    assert services.open_flag_count(TargetKind.PROPOSAL, proposal_id) == 0


def test_a_flagged_comment_is_kept_with_its_proposal_and_term_in_view(
    published_proposal, moderator, create_user, client_for, db
):
    first = glossary.comment(create_user(name="Carl Commenter"), published_proposal, "Too narrow?")
    reply = glossary.comment(
        create_user(name="Rita Replier"), published_proposal, "No, it is right.", parent=first
    )
    db.session.commit()
    services.flag(create_user(), TargetKind.COMMENT, reply, "abuse", "Seems rude.")
    db.session.commit()
    reply_id, slug = reply.id, "digital-sovereignty"

    mod = client_for(moderator)
    [article] = articles(mod.get("/moderation/"))
    assert text_of(article.h2) == "Comment on a proposal by Rita Replier — flagged 1 time"
    where = article.select_one(".mod-item__where a")
    assert (where["href"], text_of(where)) == (f"/glossary/{slug}", "Digital sovereignty")
    thread = text_of(article.select_one(".mod-item__thread"))
    assert "The definition proposed by Paula Proposer" in thread
    assert "Control over one's own digital means." in thread
    assert "In reply to Carl Commenter" in thread and "Too narrow?" in thread
    assert (
        article.select_one(".mod-item__thread a")["href"]
        == f"/glossary/{slug}#proposal-{published_proposal.id}"
    )
    assert "No, it is right." in text_of(article.select_one(".mod-item__body"))
    assert "Seems rude." in text_of(article.select_one(".mod-flags"))
    buttons = [text_of(b) for b in article.select("form.mod-decision button")]
    assert buttons == ["Keep published", "Hide"]

    keep = article.find("button", string="Keep published")
    decide(mod, f"comment:{reply_id}", keep["value"], "Blunt but civil.")
    db.session.expire_all()
    assert db.session.get(ProposalComment, reply_id).status is CommentStatus.PUBLISHED
    assert articles(mod.get("/moderation/")) == []
    [row] = log_rows(db)
    assert (row.action.value, row.old_state, row.new_state) == (
        "keep_published",
        "published",
        "published",
    )
    log = soup_of(mod.get("/moderation/log"))
    assert f"/glossary/{slug}#comment-{reply_id}" in [a["href"] for a in log.select("tbody a")]


# --- the item page, links and markup ------------------------------------------------------


def test_the_item_page_works_for_every_kind_and_markup_stays_text(
    newcomer, create_user, moderator, client_for, db
):
    term, proposal = glossary.create_term(
        newcomer,
        "<b>Bold</b> term",
        aliases=["<i>slanted</i>"],
        definition="Fine <script>alert(1)</script> words",
        rationale='<img src="x" onerror="alert(2)">',
    )
    db.session.commit()
    mod = client_for(moderator)
    decide(mod, f"term:{term.id}", "approve", "ok")
    decide(mod, f"proposal:{proposal.id}", "approve", "ok")
    comment = glossary.comment(
        create_user(trusted=False), proposal, '<a href="javascript:alert(3)">click</a> me'
    )
    db.session.commit()
    slug = term.slug

    queue = mod.get("/moderation/")
    article = article_for(queue, "comment", comment.id)
    assert article.select_one(".mod-item__body a[href^=javascript]") is None
    html = queue.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "onerror" not in html

    targets = {
        "term": (term.id, f"/glossary/{slug}"),
        "proposal": (proposal.id, f"/glossary/{slug}#proposal-{proposal.id}"),
        "comment": (comment.id, f"/glossary/{slug}#comment-{comment.id}"),
    }
    for kind, (item_id, public) in targets.items():
        response = mod.get(f"/moderation/items/{kind}/{item_id}")
        assert response.status_code == 200, kind
        page = soup_of(response)
        assert page.find("a", string="See it in the glossary")["href"] == public
        html = response.get_data(as_text=True)
        assert "<script>alert(1)" not in html and "onerror" not in html
        assert "<b>Bold</b>" not in html and "<i>slanted</i>" not in html
        assert page.select_one("article.mod-item b, article.mod-item i") is None
    term_page = soup_of(mod.get(f"/moderation/items/term/{term.id}"))
    assert "<b>Bold</b> term" in text_of(term_page.select_one(".mod-term"))
    assert "<i>slanted</i>" in text_of(term_page.select_one(".mod-term"))
    assert "ok" in text_of(term_page.select_one("table.mod-log"))
    buttons = [text_of(b) for b in term_page.select("form.mod-decision button")]
    assert buttons == ["Hide"]  # published, without flags: it can only be hidden
    assert mod.get("/moderation/items/proposal/999999").status_code == 404

    # The account page's log links glossary items too.
    account = soup_of(mod.get(f"/moderation/users/{newcomer.id}"))
    hrefs = [a["href"] for a in account.select("table.mod-log a")]
    assert f"/glossary/{slug}" in hrefs and f"/glossary/{slug}#proposal-{proposal.id}" in hrefs


def test_the_queue_api_embeds_each_kind_with_its_context(
    published_proposal, newcomer, moderator, create_user, client, db
):
    from tests.web.test_api_annotations import auth, token_for
    from tests.web.test_openapi import _check

    reply_to = glossary.comment(create_user(name="Carl Commenter"), published_proposal, "Hm.")
    db.session.commit()
    comment = glossary.comment(newcomer, published_proposal, "<em>Yes</em>", parent=reply_to)
    db.session.commit()
    token = token_for(moderator, db)
    listed = client.get(f"{API}/moderation/queue", headers=auth(token)).get_json()
    [item] = listed["items"]
    assert item["target"] == {"type": "comment", "id": comment.id}
    assert item["state"] == "pending" and "annotation" not in item
    assert item["comment"]["body"] == "<em>Yes</em>"
    assert item["comment"]["html_url"].endswith(
        f"/glossary/digital-sovereignty#comment-{comment.id}"
    )
    assert item["context"]["term"]["label"] == "Digital sovereignty"
    assert item["context"]["proposal"]["id"] == published_proposal.id
    assert item["context"]["parent"]["author"]["name"] == "Carl Commenter"
    assert item["author"]["name"] == "Nina Newcomer"
    document = client.get(f"{API}/openapi.json").get_json()
    _check(document, "ModerationQueue", listed)
    only = client.get(f"{API}/moderation/queue?type=comment", headers=auth(token)).get_json()
    assert only["total"] == 1


# --- approved contributions ---------------------------------------------------------------


def test_an_adopted_definition_still_counts_as_an_approved_contribution(
    published_proposal, create_user, db
):
    author_id = published_proposal.author_id
    assert services.approved_count(author_id) == 2  # the term and the proposal
    glossary.adopt(create_user(Role.EDITOR), published_proposal)
    db.session.commit()
    assert published_proposal.status is ProposalStatus.ADOPTED
    assert services.approved_count(author_id) == 2
    record = queries.author_records({author_id})[author_id]
    assert (record.published, record.pending) == (2, 0)


# --- constant cost ----------------------------------------------------------------------


def test_the_queue_costs_the_same_with_one_or_two_items_of_each_kind(
    create_annotation, create_user, moderator, client_for, client, count_queries, db
):
    from tests.web.test_api_annotations import auth, token_for

    mod = client_for(moderator)
    token = token_for(moderator, db)
    made = {"n": 0}

    def add_one_of_each() -> None:
        """A pending annotation, term, proposal and reply, and a flagged comment; the
        proposal and the comments on a term and proposal of their own each time."""
        made["n"] += 1
        n = made["n"]
        create_annotation(f"Pending annotation {n}.", author=create_user(trusted=False))
        glossary.create_term(create_user(trusted=False), f"Pending term {n}")
        term, proposal = glossary.create_term(
            create_user(), f"Published term {n}", definition=f"Meaning {n}."
        )
        first = glossary.comment(create_user(), proposal, f"A first comment {n}.")
        db.session.commit()
        glossary.propose(create_user(trusted=False), term, f"Another meaning {n}.")
        reply = glossary.comment(create_user(trusted=False), proposal, f"Reply {n}.", parent=first)
        db.session.commit()
        assert reply.status is CommentStatus.PENDING
        services.flag(create_user(), TargetKind.COMMENT, first, "spam", "")
        db.session.commit()

    def cost(url: str, **kwargs) -> int:
        db.session.expire_all()
        browser = kwargs.pop("browser", mod)
        with count_queries() as counter:
            response = browser.get(url, **kwargs)
            assert response.status_code == 200
            response.get_data()
        return counter.count

    api = f"{API}/moderation/queue"
    add_one_of_each()
    client.get(api, headers=auth(token))  # the token's first use is recorded once
    small = (cost("/moderation/"), cost(api, browser=client, headers=auth(token)))
    add_one_of_each()
    kinds = {a["id"].split("-")[1] for a in articles(mod.get("/moderation/"))}
    assert kinds == {"annotation", "term", "proposal", "comment"}
    assert len(articles(mod.get("/moderation/"))) == 10
    listed = client.get(api, headers=auth(token)).get_json()
    assert len(listed["items"]) == 10
    large = (cost("/moderation/"), cost(api, browser=client, headers=auth(token)))
    assert large == small, (small, large)
    assert db.session.scalar(select(func.count(ModerationLog.id))) == 0
