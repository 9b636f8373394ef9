"""The discussion without JavaScript: the margin of the paper, a section's threads, a thread.

Stories told here: what readers see in the margin and the contents, what the paper page
costs however much is said, how a thread reads (quotes, suggestions, nesting, placeholders,
edits), who may change what, and what happens outside the comment period.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, insert, select

from app.annotations import services
from app.annotations.services import QuoteInput
from app.core.anchoring import block_spans
from app.models import PaperVersion, Role, Section
from app.models.annotation import (
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    TargetType,
)
from app.models.base import utcnow

PAPER = "/papers/think-paper-1/"
KEY = "public-sector-idiosyncrasies"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def page(client, url, status=200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return soup_of(response)


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def link(container, starts: str):
    """The first link whose text (visually hidden parts included) begins with `starts`."""
    found = [a for a in container.find_all("a") if a.get_text().startswith(starts)]
    assert found, f"no link starting {starts!r}"
    return found[0]


def stored() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count(Annotation.id)))


@pytest.fixture
def version(paper, db):
    return db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))


@pytest.fixture
def section_of(version, db):
    def find(key: str = KEY) -> Section:
        return db.session.scalar(
            select(Section).where(Section.version_id == version.id, Section.key == key)
        )

    return find


@pytest.fixture
def create_thread(db, paper, version, section_of, create_user):
    """Start a thread through the service, as the forms do; `paragraph` counts from 1."""

    def factory(
        author=None,
        body="A thought on this section.",
        *,
        key=KEY,
        paragraph=None,
        passage=None,
        kind=AnnotationKind.COMMENT,
        proposed_text=None,
        at=None,
    ):
        section = section_of(key)
        quote, target = None, None
        if paragraph is not None:
            start, end = block_spans(section.text)[paragraph - 1]
            quote, target = (
                QuoteInput(section.text[start:end], start=start, end=end),
                (TargetType.PARAGRAPH),
            )
        elif passage is not None:
            start = section.text.index(passage)
            quote = QuoteInput(passage, start=start, end=start + len(passage))
        annotation = services.create_thread(
            author or create_user(),
            paper,
            version,
            section,
            body,
            kind=kind,
            quote=quote,
            target=target,
            proposed_text=proposed_text,
        )
        if at is not None:
            annotation.created_at = at
        db.session.commit()
        return annotation

    return factory


@pytest.fixture
def thread(create_thread):
    return create_thread()


@pytest.fixture
def create_reply(db, create_user):
    def factory(parent, author=None, body="A reply."):
        answer = services.reply(author or create_user(), parent, body)
        db.session.commit()
        return answer

    return factory


# --- the margin and the contents ----------------------------------------------------------


def test_the_margin_shows_counts_and_the_first_three_threads_in_the_order_of_the_text(
    client, create_thread, create_reply, create_user, db, section_of
):
    alice, bruno = create_user(name="Alice Aalto"), create_user(name="Bruno Brandt")
    text = section_of().text
    start = utcnow() - timedelta(hours=9)
    # Written in an order unlike the text's: the margin follows the text, whole-section
    # threads first (they stand on no words), then by where each passage begins.
    late, early = block_spans(text)[-1], block_spans(text)[0]
    threads = {
        "end": create_thread(alice, "At the end.", passage=text[late[1] - 20 : late[1]].strip()),
        "whole": create_thread(bruno, "On the whole section.", at=start + timedelta(hours=1)),
        "para": create_thread(alice, "On the second paragraph.", paragraph=2),
        "begin": create_thread(bruno, "At the start.", passage=text[early[0] : early[0] + 25]),
        "whole2": create_thread(alice, "Also on all of it.", at=start + timedelta(hours=2)),
        "middle": create_thread(bruno, "In the middle.", paragraph=3),
        "more": create_thread(alice, "More on paragraph 3.", paragraph=3),
    }
    create_reply(threads["begin"], alice)
    create_reply(threads["begin"], bruno)

    soup = page(client, PAPER)
    margin = soup.select_one(f"section#{KEY} > aside.margin")
    assert margin["aria-label"] == "Discussion of 3.2 Public sector idiosyncrasies …"
    assert "7 threads · 9 contributions" in text_of(margin)
    cards = margin.select("article.thread-card")
    assert [text_of(c.select_one(".thread-card__body")) for c in cards] == [
        "On the whole section.",
        "Also on all of it.",
        "At the start.",
    ]
    begin = cards[2]
    assert text_of(begin.select_one(".kind")) == "Comment"
    assert "Bruno Brandt" in text_of(begin.select_one(".thread-card__meta"))
    assert begin.select_one("time")["datetime"].startswith(str(threads["begin"].created_at.date()))
    assert "2 replies" in text_of(begin)
    assert link(begin, "Open thread")["href"] == f"/annotations/{threads['begin'].id}"
    assert link(margin, "All 7 threads on this section")["href"] == SECTION_PAGE
    # The script fetches the rest from here, in the same order.
    assert margin["data-threads"] == f"{SECTION_PAGE}margin.fragment"
    # The margin lives beside the text, never inside it: offsets count the text alone.
    html = client.get(PAPER).get_data(as_text=True)
    assert f'data-section="{KEY}">{section_of().html}</div>' in html
    assert soup.select_one(f"#{KEY} .section-text aside") is None
    # And before the section's notes, so that on a phone the discussion comes first.
    children = [c for c in soup.select_one(f"section#{KEY}").children if getattr(c, "name", None)]
    names = [c.get("class", [""])[0] for c in children]
    if "notes" in names:
        assert names.index("margin") < names.index("notes")


def test_a_quiet_section_says_so_and_three_threads_need_no_link_to_all(client, create_thread):
    for n in range(3):
        create_thread(body=f"Point {n}")
    soup = page(client, PAPER)
    margin = soup.select_one(f"#{KEY} aside.margin")
    assert len(margin.select(".thread-card")) == 3
    assert "All 3 threads" not in text_of(margin)
    quiet = soup.select_one("#introduction aside.margin")
    assert "No comments yet" in text_of(quiet)
    assert quiet.select(".thread-card") == []


def test_the_margin_quotes_the_passage_and_shortens_long_bodies(client, create_thread):
    long_body = "This argument deserves a longer answer. " * 30
    create_thread(body=long_body, passage="separation of role from person")
    create_thread(body="Short and *sweet*.", paragraph=2)
    margin = page(client, PAPER).select_one(f"#{KEY} aside.margin")
    short, long = margin.select(".thread-card")
    assert short.select_one(".thread-card__body em").get_text() == "sweet"
    assert text_of(short.select_one("blockquote")).startswith(
        "On the passage: Indeed while the nature of bureaucracy"
    )
    assert text_of(short.select_one("blockquote")).endswith("…")
    excerpt = text_of(long.select_one(".thread-card__body"))
    assert excerpt.endswith("…") and len(excerpt) < 230
    assert text_of(long.select_one("blockquote")) == (
        "On the passage: separation of role from person"
    )


def test_the_contents_show_how_many_threads_each_section_has(client, create_thread):
    create_thread()
    create_thread()
    create_thread(key="key-messages")
    toc = page(client, PAPER).select_one("nav.toc")
    link = toc.select_one(f'a[href="#{KEY}"]')
    assert text_of(link.select_one(".toc-count .visually-hidden")) == ", 2 threads"
    assert link.select_one('.toc-count [aria-hidden="true"]').get_text() == "2"
    assert "1 thread" in text_of(toc.select_one('a[href="#key-messages"]'))
    assert toc.select_one('a[href="#introduction"] .toc-count') is None


def test_the_margin_invites_each_reader_in_their_own_way(client, paper, logged_in, user):
    margin = page(client, PAPER).select_one(f"#{KEY} aside.margin")
    assert link(margin, "Log in to take part")["href"].startswith("/login?next=")
    assert "Comment on this section" not in text_of(margin)

    logged_in(user)
    margin = page(client, PAPER).select_one(f"#{KEY} aside.margin")
    assert link(margin, "Comment on this section")["href"] == f"{SECTION_PAGE}#new-thread"
    assert link(margin, "on one of its paragraphs")["href"] == f"{SECTION_PAGE}#paragraph"
    assert "Log in to take part" not in text_of(margin)


def _bulk_threads(db, paper, version, authors, sections, n_threads, n_replies, offset=0):
    """Insert many threads and replies in two statements (fast enough for a page test)."""
    now = utcnow()
    common = dict(
        paper_id=paper.id,
        version_id=version.id,
        kind=AnnotationKind.COMMENT,
        status=AnnotationStatus.PUBLISHED,
        target=TargetType.SECTION,
    )
    roots = [
        dict(
            common,
            section_key=sections[i % len(sections)].key,
            author_id=authors[i % len(authors)].id,
            body=f"Thread {offset + i}",
            body_html=f"<p>Thread {offset + i}</p>",
            depth=0,
            created_at=now - timedelta(seconds=offset + i),
            updated_at=now,
        )
        for i in range(n_threads)
    ]
    db.session.execute(insert(Annotation), roots)
    keys = db.session.execute(
        select(Annotation.id, Annotation.section_key).where(Annotation.parent_id.is_(None))
    ).all()
    replies = [
        dict(
            common,
            section_key=keys[i % len(keys)][1],
            author_id=authors[i % len(authors)].id,
            parent_id=keys[i % len(keys)][0],
            root_id=keys[i % len(keys)][0],
            depth=1,
            body=f"Reply {i}",
            body_html=f"<p>Reply {i}</p>",
            created_at=now,
            updated_at=now,
        )
        for i in range(n_replies)
    ]
    if replies:
        db.session.execute(insert(Annotation), replies)
    db.session.commit()


def test_the_paper_page_costs_the_same_few_queries_with_ten_or_a_thousand_threads(
    client, paper, version, db, create_user, count_queries, logged_in
):
    authors = [create_user() for _ in range(5)]
    sections = db.session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
    ).all()
    _bulk_threads(db, paper, version, authors, sections, 10, 0)
    with count_queries() as ten:
        assert client.get(PAPER).status_code == 200

    _bulk_threads(db, paper, version, authors, sections, 990, 3000, offset=10)
    assert stored() == 4000
    with count_queries() as thousand:
        response = client.get(PAPER)
    assert response.status_code == 200
    # 8, 1 for the editors' answers, 1 for the terms, 1 for the counters of the kept pages
    assert ten.count == thousand.count <= 11
    margin = soup_of(response).select_one(f"#{KEY} aside.margin")
    assert len(margin.select(".thread-card")) == 3
    assert "All " in text_of(margin.select_one(".margin__more"))

    logged_in(authors[0])
    with count_queries() as signed_in:
        assert client.get(PAPER).status_code == 200
    # The reader's own account, the header's unread count (the bell), and which of the
    # paper and its sections the reader follows (the "Follow" buttons): one query each.
    assert signed_in.count <= thousand.count + 3


# --- a section's discussion page ------------------------------------------------------------


def test_the_section_page_lists_every_thread_sorted_and_filtered_by_a_plain_form(
    client, create_thread, create_reply
):
    start = utcnow() - timedelta(hours=3)
    first = create_thread(body="First, a comment.", at=start)
    second = create_thread(
        body="Second, a question?", kind=AnnotationKind.QUESTION, at=start + timedelta(hours=1)
    )
    third = create_thread(
        body="Third, an objection.", kind=AnnotationKind.OBJECTION, at=start + timedelta(hours=2)
    )
    for n in range(4):
        create_thread(body=f"Elsewhere {n}", key="key-messages")
    create_reply(second)
    create_reply(second)
    create_reply(third)

    def order(query=""):
        soup = page(client, SECTION_PAGE + query)
        return [int(a["data-annotation"]) for a in soup.select(".thread-list article")], soup

    ids, soup = order()
    assert ids == [first.id, second.id, third.id]
    assert soup.h1.get_text() == "Discussion of 3.2 Public sector idiosyncrasies …"
    assert len(soup.find_all("h1")) == 1
    assert text_of(soup.select_one("#threads-title")) == "3 threads"
    back = soup.select_one(".breadcrumb a")
    assert back["href"] == f"/papers/think-paper-1/v/5.0/#{KEY}"
    filters = soup.select_one("form.filters")
    assert filters["method"] == "get"
    assert filters.find("label", string="Order") and filters.find("label", string="Kind")
    assert filters.find("button", string="Show")

    assert order("?sort=newest")[0] == [third.id, second.id, first.id]
    assert order("?sort=replies")[0] == [second.id, third.id, first.id]
    ids, soup = order("?kind=question")
    assert ids == [second.id]
    assert text_of(soup.select_one("#threads-title")) == "1 thread · Questions"
    assert order("?sort=sideways&kind=nonsense")[0] == [first.id, second.id, third.id]


def test_unknown_sections_and_versions_have_no_discussion_page(client, paper):
    assert client.get("/papers/think-paper-1/v/5.0/sections/no-such-section/").status_code == 404
    assert client.get(f"/papers/think-paper-1/v/9.9/sections/{KEY}/").status_code == 404
    assert client.get(f"/papers/nope/v/5.0/sections/{KEY}/").status_code == 404


# --- a thread -----------------------------------------------------------------------------


def test_a_thread_permalink_shows_the_passage_in_context_kind_author_and_replies(
    client, create_thread, create_reply, create_user
):
    alice = create_user(name="Alice Aalto")
    root = create_thread(
        alice,
        "Is this **really** so?",
        kind=AnnotationKind.QUESTION,
        passage="separation of role from person",
    )
    create_reply(root, body="Yes.")
    create_reply(root, body="No.")

    soup = page(client, f"/annotations/{root.id}")
    assert len(soup.find_all("h1")) == 1
    assert text_of(soup.h1) == "Question on 3.2 Public sector idiosyncrasies …"
    article = soup.select_one(f"article#a{root.id}")
    assert article["aria-label"] == "Question by Alice Aalto"
    assert text_of(article.select_one(".kind")) == "Question"
    quote = article.select_one("figure.quote blockquote")
    assert quote.mark.get_text() == "separation of role from person"
    assert text_of(quote).startswith("…") and text_of(quote).endswith("…")
    assert "identified by Weber - " in quote.get_text()  # the prefix
    assert article.select_one(".annotation-body strong").get_text() == "really"
    assert "edited" not in text_of(article.select_one(".annotation__meta"))
    assert text_of(soup.select_one("#replies-title")) == "2 replies"
    assert len(soup.select(".replies article")) == 2
    back = soup.select_one(".breadcrumb a")
    assert back["href"] == f"/papers/think-paper-1/v/5.0/#{KEY}"


def test_a_reply_permalink_leads_to_its_place_in_the_thread(client, thread, create_reply):
    answer = create_reply(thread)
    response = client.get(f"/annotations/{answer.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/annotations/{thread.id}#a{answer.id}"
    assert client.get("/annotations/999999").status_code == 404


def test_a_hidden_thread_is_a_placeholder_while_it_has_replies(
    client, thread, create_thread, create_reply, db
):
    lonely = create_thread(body="Nobody answered.")
    create_reply(thread, body="An answer that stays.")
    for hidden in (thread, lonely):
        hidden.status = AnnotationStatus.HIDDEN
    db.session.commit()
    # As in the margin: a placeholder with nothing under it is not found.
    assert client.get(f"/annotations/{lonely.id}").status_code == 404
    soup = page(client, f"/annotations/{thread.id}")
    root = soup.select_one(f"article#a{thread.id}")
    assert text_of(root.select_one(".placeholder")) == "Hidden by a moderator."
    assert "A thought on this section." not in text_of(soup)
    assert "An answer that stays." in text_of(soup.select_one(".thread-replies"))
    assert text_of(soup.select_one("h1")).startswith("Hidden contribution on")


def test_a_suggestion_shows_its_wording_as_a_change_against_the_quote(client, create_thread):
    suggestion = create_thread(
        body="Plainer words.",
        kind=AnnotationKind.SUGGESTION,
        passage="separation of role from person",
        proposed_text="separation of office from person",
    )
    soup = page(client, f"/annotations/{suggestion.id}")
    change = soup.select_one(".suggestion p.change")
    assert [d.get_text() for d in change.find_all("del")] == ["deleted: role"]
    assert [i.get_text() for i in change.find_all("ins")] == ["inserted: office"]
    assert change.get_text() == "separation of deleted: roleinserted: office from person"
    # Without colour: struck through and underlined, and the hidden words say what changed.
    assert change.find("del").select_one(".visually-hidden").get_text() == "deleted: "
    assert "separation of office from person" in text_of(soup.select_one(".suggestion details"))


def test_reply_and_reply_to_a_reply_through_plain_forms(client, thread, logged_in, create_user):
    bruno = create_user(name="Bruno Brandt")
    logged_in(bruno)
    soup = page(client, f"/annotations/{thread.id}")
    form = soup.select_one("#reply-form form")
    assert form["action"] == f"/annotations/{thread.id}/replies"
    assert form.find("label", string="Your reply")["for"] == "body"

    response = client.post(f"/annotations/{thread.id}/replies", data={"body": "I agree."})
    assert response.status_code == 303
    from app.extensions import db

    answer = db.session.scalars(select(Annotation).where(Annotation.root_id == thread.id)).one()
    assert response.headers["Location"] == f"/annotations/{thread.id}#a{answer.id}"
    assert answer.parent_id == thread.id and answer.depth == 1

    soup = page(client, f"/annotations/{thread.id}?reply_to={answer.id}")
    box = soup.select_one("#reply-form")
    assert text_of(box.h2) == "Reply to Bruno Brandt"
    assert box.form["action"] == f"/annotations/{answer.id}/replies"
    response = client.post(f"/annotations/{answer.id}/replies", data={"body": "Thanks!"})
    assert response.status_code == 303
    nested = page(client, f"/annotations/{thread.id}").select_one(
        f"#a{answer.id} + ol.replies article"
    )
    assert text_of(nested.select_one(".annotation-body")) == "Thanks!"
    assert text_of(page(client, f"/annotations/{thread.id}").select_one("#replies-title")) == (
        "2 replies"
    )


def test_replies_deeper_than_three_are_shown_flat_in_reply_to_someone(
    client, thread, create_reply, create_user
):
    names = ["Ann", "Ben", "Cleo", "Dev", "Eve"]
    parent, chain = thread, []
    for name in names:
        parent = create_reply(parent, create_user(name=name), f"Said by {name}.")
        chain.append(parent)
    soup = page(client, f"/annotations/{thread.id}")

    def level(annotation):
        return len(soup.select_one(f"#a{annotation.id}").find_parents("ol", class_="replies"))

    assert [level(a) for a in chain] == [1, 2, 3, 3, 3]
    for deep, parent in ((chain[3], chain[2]), (chain[4], chain[3])):
        note = soup.select_one(f"#a{deep.id} .in-reply-to")
        assert text_of(note) == f"in reply to {parent.author.display_name}"
        assert note.a["href"] == f"#a{parent.id}"
    assert soup.select_one(f"#a{chain[2].id} .in-reply-to") is None
    assert text_of(soup.select_one("#replies-title")) == "5 replies"


def test_every_contribution_is_an_article_with_a_name(client, thread, create_reply):
    create_reply(create_reply(thread))
    for article in page(client, f"/annotations/{thread.id}").find_all("article"):
        assert article["id"].startswith("a") and article.get("aria-label")


# --- edit, delete, history ------------------------------------------------------------------


def test_the_author_edits_and_the_thread_says_edited_with_a_history(
    client, create_thread, logged_in, create_user, db
):
    alice = create_user(name="Alice Aalto")
    thread = create_thread(alice, "First thoughts.")
    logged_in(alice)
    form = page(client, f"/annotations/{thread.id}/edit").select_one("form.discussion-form")
    assert form.textarea.get_text().strip() == "First thoughts."

    response = client.post(f"/annotations/{thread.id}/edit", data={"body": "Second thoughts."})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annotations/{thread.id}#a{thread.id}"
    client.post(f"/annotations/{thread.id}/edit", data={"body": "Third thoughts."})

    soup = page(client, f"/annotations/{thread.id}")
    article = soup.select_one(f"#a{thread.id}")
    assert text_of(article.select_one(".annotation-body")) == "Third thoughts."
    edited = article.select_one(".annotation__meta a")
    assert edited.get_text().startswith("edited")
    assert edited["href"] == f"/annotations/{thread.id}/history"

    history = page(client, f"/annotations/{thread.id}/history")
    versions = [text_of(v.select_one(".annotation-body")) for v in history.select("article")]
    assert versions == ["Third thoughts.", "Second thoughts.", "First thoughts."]
    assert history.select_one("article h2").get_text().startswith("Current text")
    assert all(a.find("h2").get_text() for a in history.select("article"))
    assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 2


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.MODERATOR, Role.EDITOR])
def test_nobody_but_the_author_may_edit_or_delete(client, thread, logged_in, create_user, role):
    logged_in(create_user(role))
    for url in (f"/annotations/{thread.id}/edit", f"/annotations/{thread.id}/delete"):
        assert client.get(url).status_code == 403
    assert (
        client.post(f"/annotations/{thread.id}/edit", data={"body": "Mine now"}).status_code == 403
    )
    assert client.post(f"/annotations/{thread.id}/delete").status_code == 403
    soup = page(client, f"/annotations/{thread.id}")
    actions = text_of(soup.select_one(f"#a{thread.id} .annotation__actions"))
    assert "Edit" not in actions and "Delete" not in actions
    assert text_of(soup.select_one(f"#a{thread.id} .annotation-body")) == (
        "A thought on this section."
    )


def test_anonymous_visitors_are_sent_to_log_in_before_changing_anything(client, thread):
    for url in (f"/annotations/{thread.id}/edit", f"/annotations/{thread.id}/delete"):
        for response in (client.get(url), client.post(url, data={"body": "x"})):
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login")
    response = client.post(f"/annotations/{thread.id}/replies", data={"body": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert stored() == 1


def test_deleting_a_thread_with_replies_leaves_a_placeholder_that_keeps_them(
    client, create_thread, create_reply, logged_in, create_user
):
    alice = create_user(name="Alice Aalto")
    thread = create_thread(alice, "Something I regret.")
    answer = create_reply(thread, body="An answer worth keeping.")
    logged_in(alice)
    confirm = page(client, f"/annotations/{thread.id}/delete")
    assert confirm.h1.get_text() == "Delete your contribution?"
    assert confirm.find("button", string="Delete")
    assert confirm.select_one("main form")["method"] == "post"

    response = client.post(f"/annotations/{thread.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annotations/{thread.id}#a{thread.id}"
    soup = page(client, f"/annotations/{thread.id}")
    article = soup.select_one(f"#a{thread.id}")
    assert text_of(article) == "This contribution was deleted."
    assert "Something I regret" not in soup.get_text()
    assert text_of(soup.select_one(f"#a{answer.id} .annotation-body")) == "An answer worth keeping."
    margin = page(client, PAPER).select_one(f"#{KEY} aside.margin")
    assert "This contribution was deleted." in text_of(margin)
    # What is gone cannot be changed again: its author is told so.
    for url in (f"/annotations/{thread.id}/edit", f"/annotations/{thread.id}/delete"):
        response = client.post(url, data={"body": "Back again"})
        assert response.status_code == 409
        assert "This contribution has been deleted." in response.get_data(as_text=True)


def test_deleting_a_thread_without_replies_removes_it(
    client, create_thread, logged_in, create_user
):
    alice = create_user()
    thread = create_thread(alice)
    logged_in(alice)
    response = client.post(f"/annotations/{thread.id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == SECTION_PAGE
    assert client.get(f"/annotations/{thread.id}").status_code == 404
    assert stored() == 0
    assert "No comments yet" in text_of(page(client, PAPER).select_one(f"#{KEY} aside.margin"))


def test_a_deleted_placeholder_takes_no_replies_and_says_why(
    client, create_thread, create_reply, logged_in, create_user
):
    alice = create_user()
    thread = create_thread(alice)
    create_reply(thread)
    services.delete(alice, thread)
    from app.extensions import db

    db.session.commit()
    logged_in(create_user())
    soup = page(client, f"/annotations/{thread.id}")
    assert soup.select_one("#reply-form form") is None
    assert "it takes no more replies" in text_of(soup.select_one("#reply-form"))

    before = stored()
    response = client.post(f"/annotations/{thread.id}/replies", data={"body": "Hello?"})
    assert response.status_code == 409
    alert = soup_of(response).select_one("#reply-form [role=alert]")
    assert "This contribution has been deleted; it takes no more replies." in text_of(alert)
    assert stored() == before


# --- comment periods and accounts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        (None, -1, "Comments on this paper closed on"),
        (3, None, "Comments on this paper open on"),
    ],
)
def test_outside_the_comment_period_nothing_can_be_posted(
    client, paper, thread, logged_in, user, db, opens, closes, message
):
    today = utcnow().date()
    paper.comment_opens = today + timedelta(days=opens) if opens is not None else None
    paper.comment_closes = today + timedelta(days=closes) if closes is not None else None
    db.session.commit()
    logged_in(user)

    margin = page(client, PAPER).select_one(f"#{KEY} aside.margin")
    assert message in text_of(margin.select_one(".margin__note"))
    assert "Comment on this section" not in text_of(margin)
    for url in (SECTION_PAGE, f"/annotations/{thread.id}"):
        soup = page(client, url)
        assert soup.select("main form[method=post]") == [], url
        assert message in text_of(soup.select_one(".read-only-note"))
    assert "Reply" not in text_of(page(client, f"/annotations/{thread.id}").select_one("article"))

    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": "Late."})
    assert response.status_code == 403
    assert message in text_of(soup_of(response).select_one("[role=alert]"))
    response = client.post(f"/annotations/{thread.id}/replies", data={"body": "Late."})
    assert response.status_code == 403
    assert message in text_of(soup_of(response).select_one("[role=alert]"))
    assert stored() == 1


def test_an_account_whose_address_is_no_longer_confirmed_cannot_post(
    client, thread, logged_in, create_user, db
):
    member = create_user()
    logged_in(member)
    member.email_confirmed_at = None
    db.session.commit()
    assert "Confirm your e-mail address" in text_of(
        page(client, PAPER).select_one(f"#{KEY} aside.margin")
    )
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": "Hello."})
    assert response.status_code == 403
    assert "Log in with a confirmed account" in text_of(
        soup_of(response).select_one("[role=alert]")
    )
    response = client.post(f"/annotations/{thread.id}/replies", data={"body": "Hello."})
    assert response.status_code == 403
    assert stored() == 1


def test_a_body_with_a_script_is_shown_without_it(client, create_thread):
    thread = create_thread(
        body='<script>alert("x")</script>Fine <img src=x onerror=alert(1)> '
        "[link](javascript:alert(1))"
    )
    for url in (f"/annotations/{thread.id}", PAPER, SECTION_PAGE):
        soup = page(client, url)
        card = soup.select_one(f"[data-annotation='{thread.id}']")
        body = card.select_one(".annotation-body, .thread-card__body")
        assert body.find("script") is None and body.find("img") is None
        assert not any(a.get("href", "").startswith("javascript") for a in body.find_all("a"))
        assert "Fine" in body.get_text()
        assert soup.find("script", string=lambda s: s and "alert" in s) is None


def test_a_thread_page_costs_the_same_queries_with_three_or_thirty_replies(
    client, thread, create_reply, create_user, count_queries
):
    authors = [create_user() for _ in range(3)]
    for n in range(3):
        create_reply(thread, authors[n % 3])
    url = f"/annotations/{thread.id}"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    parent = thread
    for n in range(27):
        parent = create_reply(parent if n % 2 else thread, create_user())
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert few.count == many.count <= 8


def test_the_author_changes_a_suggestions_wording_and_the_change_follows(
    client, create_thread, logged_in, create_user
):
    alice = create_user()
    suggestion = create_thread(
        alice,
        "Plainer.",
        kind=AnnotationKind.SUGGESTION,
        passage="separation of role from person",
        proposed_text="separation of office from person",
    )
    logged_in(alice)
    form = page(client, f"/annotations/{suggestion.id}/edit").select_one("form.discussion-form")
    assert form.select_one("textarea#proposed_text").get_text().strip() == (
        "separation of office from person"
    )
    response = client.post(
        f"/annotations/{suggestion.id}/edit",
        data={"body": "Plainer still.", "proposed_text": "separation of role and person"},
    )
    assert response.status_code == 303
    change = page(client, f"/annotations/{suggestion.id}").select_one("p.change")
    assert [i.get_text() for i in change.find_all("ins")] == ["inserted: and"]
    history = page(client, f"/annotations/{suggestion.id}/history")
    assert "separation of office from person" in text_of(history)
