"""Moderation in the discussion, as readers, authors and moderators meet it.

Stories told here: a hidden contribution leaves a placeholder that keeps its replies, its
author reads it with the moderator's reason and moderators read it marked hidden; what
awaits review is marked for its author and shown to nobody else; participants flag a
contribution through a plain form, once each, and enough flags hide it; the account
area tells its owner what was decided about them, escaped; and none of it costs the
paper, section and thread pages a query per contribution.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.annotations import services
from app.models import Flag, ModerationAction, Role, TargetKind
from app.models.annotation import Annotation, AnnotationStatus
from app.moderation import services as moderation
from app.moderation.services import Target

PAPER = "/papers/think-paper-1/"
KEY = "public-sector-idiosyncrasies"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"
WORDS = "Words only some may read."


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def flags() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count(Flag.id)))


@pytest.fixture
def author(create_user):
    return create_user(name="Hedda Hidden")


@pytest.fixture
def moderator(create_user):
    return create_user(Role.MODERATOR, name="Mona Moderator")


@pytest.fixture
def reply_to(db, create_user):
    def factory(parent, author=None, body="A reply that stays."):
        answer = services.reply(author or create_user(name="Rita Replier"), parent, body)
        db.session.commit()
        return answer

    return factory


@pytest.fixture
def hide(db, moderator):
    def do(annotation, reason="Personal data about a colleague."):
        moderation.decide(
            moderator, Target(TargetKind.ANNOTATION, annotation.id), ModerationAction.HIDE, reason
        )
        db.session.commit()

    return do


# --- hidden: a placeholder that keeps its replies -------------------------------------------


def test_others_see_a_hidden_root_as_a_placeholder_with_its_replies(
    create_annotation, author, reply_to, hide, viewer_client, create_user
):
    root = create_annotation(WORDS, author=author)
    reply_to(root)
    hide(root)
    for client in (viewer_client(), viewer_client(create_user(name="Otto Other"))):
        html = client.get(f"/annotations/{root.id}").get_data(as_text=True)
        soup = BeautifulSoup(html, "html.parser")
        article = soup.select_one(f"article#a{root.id}")
        assert "Hidden by a moderator" in text_of(article)
        assert "Hidden contribution on" in text_of(soup.select_one("h1"))
        assert WORDS not in html and "Hedda Hidden" not in html
        assert "Personal data about a colleague" not in html
        assert "A reply that stays." in text_of(soup.select_one(".thread-replies"))
        assert "Rita Replier" in html
        # The placeholder takes no reply and offers no flag.
        assert article.find("a", string="Flag") is None
        assert soup.select_one(f'a[href*="reply_to={root.id}"]') is None
        # The section page and the margin show the placeholder, not the words.
        section = client.get(SECTION_PAGE).get_data(as_text=True)
        assert "Hidden by a moderator" in section and WORDS not in section
        paper = client.get(PAPER).get_data(as_text=True)
        assert "Hidden by a moderator" in paper and WORDS not in paper
        # Its history is not a way round the placeholder.
        history = client.get(f"/annotations/{root.id}/history").get_data(as_text=True)
        assert WORDS not in history


def test_the_author_reads_a_hidden_contribution_with_the_reason(
    create_annotation, author, reply_to, hide, viewer_client
):
    root = create_annotation(WORDS, author=author)
    reply_to(root)
    hide(root, "It names a colleague.\nPlease leave names out.")
    soup = soup_of(viewer_client(author).get(f"/annotations/{root.id}"))
    article = soup.select_one(f"article#a{root.id}")
    assert WORDS in text_of(article)
    assert text_of(article.select_one(".status-badge")) == "Hidden by a moderator"
    reason = article.select_one(".moderation-reason")
    assert reason.get_text() == "It names a colleague.\nPlease leave names out."
    # Hidden words take no replies and cannot be edited, but may still be deleted.
    assert article.find("a", href=f"/annotations/{root.id}/edit") is None
    assert article.find("a", href=f"/annotations/{root.id}/delete")
    assert "hidden by a moderator; it takes no replies" in text_of(soup.select_one("#reply-form"))


def test_a_moderator_reads_hidden_words_marked_hidden(
    create_annotation, author, reply_to, hide, viewer_client, create_user
):
    root = create_annotation(WORDS, author=author)
    reply_to(root)
    hide(root)
    other_moderator = create_user(Role.MODERATOR)
    soup = soup_of(viewer_client(other_moderator).get(f"/annotations/{root.id}"))
    article = soup.select_one(f"article#a{root.id}")
    assert WORDS in text_of(article)
    assert text_of(article.select_one(".status-badge")) == "Hidden by a moderator"
    assert article.find("a", href=f"/moderation/items/annotation/{root.id}")


def test_a_hidden_root_without_replies_is_not_found_by_others(
    create_annotation, author, hide, viewer_client, create_user
):
    root = create_annotation(WORDS, author=author)
    hide(root)
    for client in (viewer_client(), viewer_client(create_user())):
        assert client.get(f"/annotations/{root.id}").status_code == 404
        assert client.get(f"/annotations/{root.id}/card").status_code == 404
        assert WORDS not in client.get(SECTION_PAGE).get_data(as_text=True)
    assert viewer_client(author).get(f"/annotations/{root.id}").status_code == 200


def test_a_hidden_reply_is_a_placeholder_in_its_thread(
    create_annotation, reply_to, hide, viewer_client
):
    root = create_annotation("The root stays.")
    answer = reply_to(root, body=WORDS)
    hide(answer)
    html = viewer_client().get(f"/annotations/{root.id}").get_data(as_text=True)
    article = BeautifulSoup(html, "html.parser").select_one(f"article#a{answer.id}")
    assert "Hidden by a moderator" in text_of(article)
    assert WORDS not in html and "Rita Replier" not in html


def test_automatic_hiding_is_named_as_such_for_the_author(
    app, create_annotation, author, reply_to, create_user, viewer_client, db
):
    root = create_annotation(WORDS, author=author)
    reply_to(root)
    for _ in range(app.config["FLAG_HIDE_THRESHOLD"]):
        moderation.flag(create_user(), TargetKind.ANNOTATION, root, "spam")
    db.session.commit()
    soup = soup_of(viewer_client(author).get(f"/annotations/{root.id}"))
    assert "Hidden automatically after flags" in text_of(soup.select_one(".moderation-note"))


# --- pending: marked for its author, shown to nobody else -----------------------------------


def test_what_awaits_review_is_marked_for_its_author_and_unseen_by_others(
    create_annotation, create_user, viewer_client
):
    newcomer = create_user(name="Nina Newcomer", trusted=False)
    pending = create_annotation(WORDS, author=newcomer)
    assert pending.status is AnnotationStatus.PENDING

    own = viewer_client(newcomer)
    soup = soup_of(own.get(f"/annotations/{pending.id}"))
    article = soup.select_one(f"article#a{pending.id}")
    assert text_of(article.select_one(".status-badge")) == "Awaiting review"
    assert "until a moderator approves it" in text_of(article)
    section = soup_of(own.get(SECTION_PAGE))
    assert "Awaiting review" in text_of(section.select_one(f"#thread-{pending.id}"))
    margin = soup_of(own.get(PAPER)).select_one(f"#{KEY} aside.margin")
    assert "1 thread" in text_of(margin)

    for client in (viewer_client(), viewer_client(create_user())):
        assert client.get(f"/annotations/{pending.id}").status_code == 404
        section_html = client.get(SECTION_PAGE).get_data(as_text=True)
        assert WORDS not in section_html and "Awaiting review" not in section_html
        margin = soup_of(client.get(PAPER)).select_one(f"#{KEY} aside.margin")
        assert "No comments yet" in text_of(margin)
        assert WORDS not in text_of(margin)


def test_a_newcomer_is_told_once_that_a_post_awaits_review(paper, create_user, viewer_client, db):
    newcomer = create_user(trusted=False)
    client = viewer_client(newcomer)
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": WORDS, "post": "1"})
    assert response.status_code == 303
    flash = soup_of(client.get(response.headers["Location"])).select_one(".flashes")
    assert text_of(flash) == ("Sent for review — visible to you until a moderator decides.")
    assert soup_of(client.get(response.headers["Location"])).select_one(".flashes") is None

    trusted = viewer_client(create_user())
    response = trusted.post(SECTION_PAGE, data={"kind": "comment", "body": "Hi.", "post": "1"})
    flash = soup_of(trusted.get(response.headers["Location"])).select_one(".flashes")
    assert text_of(flash) == "Comment posted."


def test_in_place_posts_of_a_newcomer_carry_the_review_message(
    paper, create_user, create_annotation, viewer_client
):
    newcomer = create_user(trusted=False)
    client = viewer_client(newcomer)
    response = client.post(
        f"{SECTION_PAGE}threads.fragment", data={"kind": "comment", "body": WORDS, "post": "1"}
    )
    assert response.status_code == 201
    holder = soup_of(response).select_one("[data-fragment-kind=thread]")
    assert "Sent for review" in holder["data-announce"]
    assert "Awaiting review" in text_of(holder)

    root = create_annotation("Published.")
    response = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "Me too."})
    assert response.status_code == 201
    holder = soup_of(response).select_one("[data-fragment-kind=reply]")
    assert "Sent for review" in holder["data-announce"]

    trusted = viewer_client(create_user())
    response = trusted.post(f"/annotations/{root.id}/replies.fragment", data={"body": "Agreed."})
    holder = soup_of(response).select_one("[data-fragment-kind=reply]")
    assert holder["data-announce"] == "Reply posted."


def test_others_are_not_offered_a_reply_to_what_awaits_review(
    create_annotation, create_user, viewer_client
):
    newcomer = create_user(trusted=False)
    pending = create_annotation(WORDS, author=newcomer)
    soup = soup_of(viewer_client(create_user(Role.MODERATOR)).get(f"/annotations/{pending.id}"))
    article = soup.select_one(f"article#a{pending.id}")
    assert "Awaiting review" in text_of(article)
    assert article.find("a", string="Reply") is None
    assert soup.select_one("#reply-form form") is None
    assert "awaits review" in text_of(soup.select_one("#reply-form"))
    # Its author may add to it.
    own = soup_of(viewer_client(newcomer).get(f"/annotations/{pending.id}"))
    assert own.select_one("#reply-form form")


def test_a_rejected_contribution_is_its_authors_alone_marked_not_published(
    create_annotation, create_user, moderator, viewer_client, db
):
    newcomer = create_user(trusted=False)
    pending = create_annotation(WORDS, author=newcomer)
    moderation.decide(
        moderator,
        Target(TargetKind.ANNOTATION, pending.id),
        ModerationAction.REJECT,
        "Advertising.",
    )
    db.session.commit()
    soup = soup_of(viewer_client(newcomer).get(f"/annotations/{pending.id}"))
    article = soup.select_one(f"article#a{pending.id}")
    assert text_of(article.select_one(".status-badge")) == "Not published"
    assert text_of(article.select_one(".moderation-reason")) == "Advertising."
    assert article.find("a", href=f"/annotations/{pending.id}/edit") is None
    assert soup.select_one("#reply-form form") is None
    assert viewer_client(create_user()).get(f"/annotations/{pending.id}").status_code == 404


# --- flagging -------------------------------------------------------------------------------


def test_the_flag_form_lists_the_reasons_and_a_post_stores_one_flag(
    create_annotation, create_user, viewer_client
):
    root = create_annotation(WORDS)
    reader = create_user()
    client = viewer_client(reader)
    thread = soup_of(client.get(f"/annotations/{root.id}"))
    flag_link = thread.select_one(f"article#a{root.id}").find(
        "a", href=f"/annotations/{root.id}/flag"
    )
    assert flag_link and text_of(flag_link).startswith("Flag")

    soup = soup_of(client.get(f"/annotations/{root.id}/flag"))
    labels = [text_of(label) for label in soup.select("fieldset#reason label")]
    assert labels == ["Spam", "Abuse or harassment", "Off topic", "Personal data", "Other"]
    assert all(radio.has_attr("required") for radio in soup.select("fieldset#reason input"))
    assert WORDS in text_of(soup.select_one(".flag-excerpt"))
    assert "1,000 characters" in text_of(soup.select_one("#note-hint"))

    response = client.post(
        f"/annotations/{root.id}/flag", data={"reason": "spam", "note": "A link farm."}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/annotations/{root.id}#a{root.id}"
    assert flags() == 1
    page = soup_of(client.get(response.headers["Location"]))
    assert "Thank you. A moderator will look at it." in text_of(page)
    article = page.select_one(f"article#a{root.id}")
    assert "You flagged this" in text_of(article)
    assert article.find("a", href=f"/annotations/{root.id}/flag") is None

    again = client.post(f"/annotations/{root.id}/flag", data={"reason": "abuse"})
    assert again.status_code == 409
    assert "already flagged" in text_of(soup_of(again).select_one("[role=alert]"))
    assert flags() == 1


def test_flags_that_are_refused_store_nothing(create_annotation, create_user, viewer_client):
    writer = create_user()
    root = create_annotation(WORDS, author=writer)
    own = viewer_client(writer)
    assert (
        soup_of(own.get(f"/annotations/{root.id}")).find("a", href=f"/annotations/{root.id}/flag")
        is None
    )
    response = own.post(f"/annotations/{root.id}/flag", data={"reason": "spam"})
    assert response.status_code == 403
    assert "your own contribution" in text_of(soup_of(response).select_one("[role=alert]"))
    assert own.get(f"/annotations/{root.id}/flag").status_code == 403

    client = viewer_client(create_user())
    response = client.post(
        f"/annotations/{root.id}/flag", data={"reason": "other", "note": "x" * 1001}
    )
    assert response.status_code == 422
    assert "At most 1,000 characters" in text_of(soup_of(response).select_one("#note-error"))
    response = client.post(f"/annotations/{root.id}/flag", data={"note": "No reason given."})
    assert response.status_code == 422
    assert soup_of(response).select_one("#reason-error")
    response = client.post(f"/annotations/{root.id}/flag", data={"reason": "boring"})
    assert response.status_code == 422
    assert soup_of(response).select_one("#reason-error")
    assert flags() == 0

    anonymous = viewer_client()
    response = anonymous.get(f"/annotations/{root.id}/flag")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert anonymous.post(f"/annotations/{root.id}/flag", data={"reason": "spam"}).status_code in (
        302,
        303,
    )
    assert flags() == 0
    assert viewer_client(create_user()).get("/annotations/999999/flag").status_code == 404


def test_three_flags_through_the_form_hide_the_contribution(
    app, create_annotation, create_user, viewer_client, reply_to, db
):
    assert app.config["FLAG_HIDE_THRESHOLD"] == 3
    root = create_annotation(WORDS)
    reply_to(root)
    for n in range(3):
        client = viewer_client(create_user())
        response = client.post(f"/annotations/{root.id}/flag", data={"reason": "abuse"})
        assert response.status_code == 303, n
    db.session.expire_all()
    assert db.session.get(Annotation, root.id).status is AnnotationStatus.HIDDEN
    html = viewer_client().get(f"/annotations/{root.id}").get_data(as_text=True)
    assert "Hidden by a moderator" in html and WORDS not in html


def test_the_flag_that_hides_a_lonely_thread_leads_to_the_section(
    create_annotation, create_user, viewer_client
):
    root = create_annotation(WORDS)
    for _ in range(2):
        moderation.flag(create_user(), TargetKind.ANNOTATION, root, "spam")
    from app.extensions import db

    db.session.commit()
    client = viewer_client(create_user())
    response = client.post(f"/annotations/{root.id}/flag", data={"reason": "spam"})
    assert response.status_code == 303
    assert response.headers["Location"] == SECTION_PAGE


# --- fragments of hidden contributions --------------------------------------------------------


def test_fragments_of_a_hidden_root_with_replies_are_placeholders(
    create_annotation, author, reply_to, hide, viewer_client, create_user
):
    root = create_annotation(WORDS, author=author)
    answer = reply_to(root)
    hide(root)
    for client in (viewer_client(), viewer_client(create_user())):
        for path in ("card", "fragment"):
            response = client.get(f"/annotations/{root.id}/{path}")
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert "Hidden by a moderator" in html and WORDS not in html, path
            assert "Hedda Hidden" not in html, path
        card = soup_of(client.get(f"/annotations/{answer.id}/card"))
        assert "1 reply" in text_of(card)
    other = viewer_client(create_user())
    for path in ("reply-form.fragment", "edit.fragment", "delete.fragment"):
        assert other.get(f"/annotations/{root.id}/{path}").status_code == 403, path
    anonymous = viewer_client()
    for path in ("reply-form.fragment", "edit.fragment", "delete.fragment"):
        assert anonymous.get(f"/annotations/{root.id}/{path}").status_code == 401, path
    own = viewer_client(author).get(f"/annotations/{root.id}/fragment").get_data(as_text=True)
    assert WORDS in own and "Personal data about a colleague." in own


# --- the account area -------------------------------------------------------------------------


def test_the_account_area_lists_decisions_with_their_reasons_escaped(
    create_annotation, author, hide, viewer_client
):
    root = create_annotation(WORDS, author=author)
    hide(root, "<script>alert(1)</script>\nSecond line.")
    response = viewer_client(author).get("/account/")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    section = soup_of(response).select_one("#moderation-decisions")
    assert text_of(section.select_one("h2")) == "Moderation decisions about you"
    row = section.select_one("tbody tr")
    cells = [text_of(cell) for cell in row.select("td")]
    assert cells[2] == "Hidden"
    assert cells[3] == "hidden"
    assert row.find("a", href=f"/annotations/{root.id}")
    reason = row.select_one(".moderation-reason")
    assert reason.get_text() == "<script>alert(1)</script>\nSecond line."


def test_the_account_area_names_automatic_hiding_and_is_quiet_without_decisions(
    app, create_annotation, author, create_user, viewer_client, db
):
    assert (
        soup_of(viewer_client(author).get("/account/")).select_one("#moderation-decisions") is None
    )
    root = create_annotation(WORDS, author=author)
    for _ in range(app.config["FLAG_HIDE_THRESHOLD"]):
        moderation.flag(create_user(), TargetKind.ANNOTATION, root, "spam")
    db.session.commit()
    section = soup_of(viewer_client(author).get("/account/")).select_one("#moderation-decisions")
    assert "Hidden automatically after flags" in text_of(section.select_one("tbody tr"))


# --- what it costs ------------------------------------------------------------------------------


def test_moderation_costs_the_pages_no_query_per_contribution(
    create_annotation, create_user, reply_to, hide, viewer_client, count_queries, author
):
    reader = create_user()
    client = viewer_client(reader)
    roots = [create_annotation(f"Root {n}.", author=author) for n in range(2)]
    reply_to(roots[0])
    hide(roots[0])
    reply_to(roots[1])  # with no reply at all, the authors of none are not loaded
    moderation.flag(reader, TargetKind.ANNOTATION, roots[1], "spam")
    from app.extensions import db

    db.session.commit()

    def costs():
        counts = []
        for url in (PAPER, SECTION_PAGE, f"/annotations/{roots[1].id}"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts.append(counter.count)
        return counts

    few = costs()
    for n in range(6):
        more = create_annotation(f"More {n}.", author=author)
        reply_to(more)
        if n % 2:
            hide(more)
        reply_to(roots[1])
        moderation.flag(reader, TargetKind.ANNOTATION, reply_to(roots[1]), "spam")
    db.session.commit()
    assert costs() == few
