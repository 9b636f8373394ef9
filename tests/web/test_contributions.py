"""The account's "Your contributions" page: one's own threads, replies, proposals, comments
and votes, newest first, each with where it stands and a link to it."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app.accounts import contributions as listing
from app.annotations import dispositions
from app.definitions import services as glossary
from app.models import ModerationAction, Role, TargetKind
from app.moderation import services as moderation

URL = "/account/contributions"


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def entries(response) -> list:
    found = soup_of(response).select("ol.contribution-list > li")
    return found


def state_of(entry) -> str:
    return entry.select_one(".contribution__state").get_text(strip=True)


@pytest.fixture
def moderator(create_user):
    return create_user(Role.MODERATOR, name="Mona Moderator")


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edna Editor")


@pytest.fixture
def me(create_user):
    return create_user(name="Mia Mine")


def hide(db, moderator, kind, item, reason):
    moderation.decide(moderator, moderation.parse_target(kind, item.id), ModerationAction.HIDE,
                      reason)  # fmt: skip
    db.session.commit()


def test_the_page_asks_to_log_in(client):
    response = client.get(URL)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_a_pending_thread_is_shown_to_its_author_as_awaiting_review(
    db, client, logged_in, create_user, create_annotation
):
    newcomer = create_user(trusted=False, name="New Comer")
    thread = create_annotation("My first thought.", author=newcomer)
    assert thread.status.value == "pending"
    logged_in(newcomer)
    (entry,) = entries(client.get(URL))
    assert state_of(entry) == "awaiting review"
    assert entry.find("a")["href"] == f"/annotations/{thread.id}"
    assert "My first thought." in entry.get_text()


def test_states_reasons_answers_and_links(
    db, client, logged_in, me, moderator, editor, create_user, create_annotation
):
    other = create_user(name="Otto Other")
    hidden = create_annotation("Rude words.", author=me)
    hide(db, moderator, "annotation", hidden, "Personal attack on another participant.")
    answered = create_annotation("Please define the term.", author=me)
    dispositions.answer(editor, answered, "accepted", "Done in the next version.")
    db.session.commit()
    someone_elses = create_annotation("Someone else's thread.", author=other)
    reply = create_annotation("My reply.", author=me, parent=someone_elses)
    term, adopted = glossary.create_term(me, "Open data", definition="Data anyone may use.")
    glossary.adopt(editor, adopted)
    rejected = glossary.propose(me, term, "A second try.")
    glossary.reject(editor, rejected, "Too narrow for the papers' use.")
    theirs = glossary.propose(other, term, "Their definition.")
    glossary.vote(me, theirs, "support")
    comment = glossary.comment(me, theirs, "I agree with this one.")
    glossary.comment(other, theirs, "Other's comment, not mine.")
    db.session.commit()

    logged_in(me)
    response = client.get(URL)
    found = entries(response)
    text = soup_of(response).get_text()
    assert "Someone else's thread." not in text
    assert "Their definition." not in text
    assert "Other's comment, not mine." not in text
    by_kind: dict[str, list] = {}
    for entry in found:
        by_kind.setdefault(entry["data-kind"], []).append(entry)
    assert {k: len(v) for k, v in by_kind.items()} == {
        "thread": 2, "reply": 1, "proposal": 2, "comment": 1, "vote": 1,
    }  # fmt: skip

    # Newest first: the comment was the last thing written.
    assert found[0]["data-kind"] == "comment"
    assert found[-1].get_text().count("Rude words.") == 1

    hidden_entry = next(e for e in by_kind["thread"] if "Rude words." in e.get_text())
    assert state_of(hidden_entry) == "hidden by a moderator"
    assert "Personal attack on another participant." in hidden_entry.get_text()
    answered_entry = next(e for e in by_kind["thread"] if "Please define" in e.get_text())
    assert state_of(answered_entry) == "published"
    assert answered_entry.select_one(".contribution__answer").get_text(strip=True) == "Accepted"
    assert answered_entry.find("a")["href"] == f"/annotations/{answered.id}"

    (reply_entry,) = by_kind["reply"]
    assert reply_entry.find("a")["href"] == f"/annotations/{someone_elses.id}#a{reply.id}"

    proposals = {e.find("a")["href"]: e for e in by_kind["proposal"]}
    adopted_entry = proposals[f"/glossary/open-data#proposal-{adopted.id}"]
    assert state_of(adopted_entry) == "adopted"
    rejected_entry = proposals[f"/glossary/open-data#proposal-{rejected.id}"]
    assert state_of(rejected_entry) == "rejected"
    assert "Too narrow for the papers' use." in rejected_entry.get_text()

    (vote_entry,) = by_kind["vote"]
    assert vote_entry.find("a")["href"] == f"/glossary/open-data#proposal-{theirs.id}"
    assert state_of(vote_entry) == "open for votes"
    assert "for a proposal for “Open data”" in vote_entry.get_text()
    (comment_entry,) = by_kind["comment"]
    assert comment_entry.find("a")["href"] == f"/glossary/open-data#comment-{comment.id}"
    assert state_of(comment_entry) == "published"


def test_a_thread_hidden_after_flags_says_so(
    db, client, logged_in, me, create_user, create_annotation, app
):
    thread = create_annotation("Flag me.", author=me)
    for _ in range(app.config["FLAG_HIDE_THRESHOLD"]):
        moderation.flag(create_user(), TargetKind.ANNOTATION, thread, "spam")
    db.session.commit()
    db.session.refresh(thread)
    assert thread.status.value == "hidden"
    logged_in(me)
    (entry,) = entries(client.get(URL))
    assert state_of(entry) == "hidden by a moderator"
    assert "Hidden automatically after flags" in entry.get_text()


def test_deleted_contributions_and_other_peoples_are_left_out(
    db, client, logged_in, me, create_user, create_annotation
):
    from app.annotations import services as annotations

    gone = create_annotation("Taken back.", author=me)
    annotations.delete(me, gone)
    create_annotation("Not mine.", author=create_user())
    db.session.commit()
    logged_in(me)
    response = client.get(URL)
    assert entries(response) == []
    assert "You have not contributed yet." in soup_of(response).get_text()


def test_pages_of_fifty_newest_first(db, client, logged_in, me, create_annotation, monkeypatch):
    monkeypatch.setattr(listing.contributions_of, "__defaults__", (1, 3))
    threads = [create_annotation(f"Thought {i}.", author=me) for i in range(7)]
    logged_in(me)
    first = client.get(URL)
    assert [e.find("a")["href"] for e in entries(first)] == [
        f"/annotations/{t.id}" for t in reversed(threads[-3:])
    ]
    assert soup_of(first).find("a", rel="next")["href"] == f"{URL}?page=2"
    assert soup_of(first).find("a", rel="prev") is None
    last = client.get(f"{URL}?page=3")
    assert [e.find("a")["href"] for e in entries(last)] == [f"/annotations/{threads[0].id}"]
    assert soup_of(last).find("a", rel="next") is None
    assert soup_of(last).find("a", rel="prev")["href"] == f"{URL}?page=2"
    # Nonsense and out-of-range pages land on the first and the last page, never a 500.
    assert entries(client.get(f"{URL}?page=abc"))[0].find("a")["href"] == (
        f"/annotations/{threads[-1].id}"
    )
    assert len(entries(client.get(f"{URL}?page=-4"))) == 3
    assert len(entries(client.get(f"{URL}?page=99999999999999999999"))) == 1


def test_the_default_page_size_is_fifty():
    assert listing.PER_PAGE == 50
    assert listing.contributions_of.__defaults__ == (1, 50)


def _contribute(db, me, other, moderator, editor, create_annotation, n):
    """Each kind of contribution, in each state the page explains."""
    hidden = create_annotation(f"Hidden {n}.", author=me)
    hide(db, moderator, "annotation", hidden, "A reason.")
    answered = create_annotation(f"Answered {n}.", author=me)
    dispositions.answer(editor, answered, "noted", "")
    root = create_annotation(f"Theirs {n}.", author=other)
    create_annotation(f"Reply {n}.", author=me, parent=root)
    term, proposal = glossary.create_term(me, f"Term {n}", definition="Mine.")
    glossary.adopt(editor, proposal)
    rejected = glossary.propose(me, term, "Rejected.")
    glossary.reject(editor, rejected, "No.")
    theirs = glossary.propose(other, term, "Theirs.")
    glossary.vote(me, theirs, "oppose")
    comment = glossary.comment(me, theirs, "A comment.")
    db.session.commit()
    hide(db, moderator, "comment", comment, "Off topic.")


def test_the_page_costs_the_same_queries_however_much_is_listed(
    db, client, logged_in, me, moderator, editor, create_user, create_annotation, count_queries
):
    other = create_user()
    _contribute(db, me, other, moderator, editor, create_annotation, 0)
    logged_in(me)

    def cost() -> int:
        db.session.commit()
        with count_queries() as counter:
            assert client.get(URL).status_code == 200
        return counter.count

    few = cost()
    for n in range(1, 5):
        _contribute(db, me, other, moderator, editor, create_annotation, n)
    many = cost()
    assert len(entries(client.get(URL))) == 5 * 7
    assert many == few
