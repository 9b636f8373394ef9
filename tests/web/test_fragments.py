"""The discussion in place: HTML fragments that static/js/threads.js fetches and swaps in.

Stories told here: a margin card and an article come back as the pages draw them; a
reply, an edit and a deletion answer with the piece that changed (and where it goes);
a refused form comes back with its errors and nothing is stored; the same people may
do the same things as through the pages; and the posting limit is the pages' own.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.annotations import services
from app.models.annotation import Annotation, AnnotationRevision, AnnotationStatus
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from

KEY = "public-sector-idiosyncrasies"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element) -> str:
    return element.get_text(" ", strip=True)


def stored() -> int:
    from app.extensions import db

    return db.session.scalar(select(func.count(Annotation.id)))


@pytest.fixture
def member(create_user, logged_in, paper):
    person = create_user(name="Mira Member")
    logged_in(person)
    return person


@pytest.fixture
def reply_to(db, create_user):
    def factory(parent, author=None, body="A reply."):
        answer = services.reply(author or create_user(), parent, body)
        db.session.commit()
        return answer

    return factory


def replies_of(root):
    from app.extensions import db

    return list(
        db.session.scalars(
            select(Annotation).where(Annotation.root_id == root.id).order_by(Annotation.id)
        )
    )


# --- reading ------------------------------------------------------------------------------


def test_the_card_of_a_thread_is_its_margin_card_with_the_reply_count(
    client, create_annotation, reply_to
):
    root = create_annotation("Is this so?", quote="a more bureaucratic culture")
    first = reply_to(root)
    reply_to(first)
    for asked in (root, first):
        response = client.get(f"/annotations/{asked.id}/card")
        assert response.status_code == 200
        card = soup_of(response).select_one("article.thread-card")
        assert card["id"] == f"thread-{root.id}"
        assert "2 replies" in text_of(card)
        assert card.select_one(".thread-card__quote")
        assert card.find("a", href=f"/annotations/{root.id}")


def test_invisible_and_unknown_annotations_have_no_fragments(client, create_annotation, db):
    hidden = create_annotation()  # hidden, and nobody answered: nothing left to show
    pending = create_annotation()
    hidden.status = AnnotationStatus.HIDDEN
    pending.status = AnnotationStatus.PENDING
    db.session.commit()
    for path in ("card", "fragment", "reply-form.fragment", "edit.fragment", "delete.fragment"):
        assert client.get(f"/annotations/{hidden.id}/{path}").status_code == 404, path
        assert client.get(f"/annotations/{pending.id}/{path}").status_code == 404, path
        assert client.get(f"/annotations/999999/{path}").status_code == 404, path


def test_a_hidden_thread_with_replies_has_placeholder_fragments_and_no_forms(
    client, create_annotation, reply_to, member, db
):
    hidden = create_annotation("Words a moderator hid.")
    answer = reply_to(hidden, body="An answer that stays.")
    hidden.status = AnnotationStatus.HIDDEN
    db.session.commit()
    for asked in (hidden, answer):
        card = soup_of(client.get(f"/annotations/{asked.id}/card")).select_one("article")
        assert text_of(card.select_one(".placeholder")) == "Hidden by a moderator."
        assert "Words a moderator hid." not in text_of(card)
        assert "1 reply" in text_of(card)
    article = soup_of(client.get(f"/annotations/{hidden.id}/fragment"))
    assert text_of(article.select_one(".placeholder")) == "Hidden by a moderator."
    assert "takes no replies" in text_of(article.select_one("[data-reply-box]"))
    for path in ("reply-form.fragment", "edit.fragment", "delete.fragment"):
        assert client.get(f"/annotations/{hidden.id}/{path}").status_code == 403, path
    response = client.post(f"/annotations/{hidden.id}/replies.fragment", data={"body": "Hm."})
    assert response.status_code == 409
    assert len(replies_of(hidden)) == 1


def test_an_article_fragment_is_drawn_as_on_the_thread_page(
    client, create_annotation, reply_to, db
):
    root = create_annotation("The **root**.")
    answer = reply_to(root, body="An answer.")
    page = soup_of(client.get(f"/annotations/{root.id}"))
    for annotation in (root, answer):
        fragment = soup_of(client.get(f"/annotations/{annotation.id}/fragment"))
        article = fragment.select_one("article")
        assert article["id"] == f"a{annotation.id}"
        assert str(article) == str(page.select_one(f"#a{annotation.id}"))
    assert fragment.select_one("[data-replies-heading]")["data-replies-heading"] == "1 reply"


# --- replying -----------------------------------------------------------------------------


def test_a_reply_comes_back_as_its_item_placed_in_the_thread(
    client, member, create_annotation, reply_to
):
    root = create_annotation()
    first = reply_to(root)
    form = soup_of(client.get(f"/annotations/{first.id}/reply-form.fragment?in=inline"))
    textarea = form.select_one("textarea")
    assert textarea["name"] == "body" and textarea["id"] == f"reply-{first.id}-body"
    assert form.find("label", attrs={"for": textarea["id"]})
    assert form.select_one("form")["data-fragment-action"].endswith("replies.fragment?in=inline")

    response = client.post(f"/annotations/{first.id}/replies.fragment", data={"body": "Agreed."})
    assert response.status_code == 201
    holder = soup_of(response).select_one('[data-fragment-kind="reply"]')
    assert holder["data-into"] == f"a{first.id}"
    assert holder["data-replies-heading"] == "2 replies"
    article = holder.select_one("li > article")
    assert "Agreed." in text_of(article) and "Mira Member" in text_of(article)

    second = client.post(f"/annotations/{first.id}/replies.fragment", data={"body": "Again."})
    answer_ids = [a.id for a in replies_of(root)]
    assert soup_of(second).select_one("[data-after]")["data-after"] == f"a{answer_ids[1]}"
    top = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "To all."})
    holder = soup_of(top).select_one('[data-fragment-kind="reply"]')
    assert holder["data-after"] == f"a{first.id}"


def test_a_bad_reply_comes_back_as_the_form_with_its_error_and_nothing_is_stored(
    client, member, create_annotation
):
    root = create_annotation()
    before = stored()
    response = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "  "})
    assert response.status_code == 422
    slot = soup_of(response).select_one('[data-fragment-kind="form"]')
    assert slot.select_one(".form-errors[role=alert]")
    assert slot.select_one("#body-error")
    assert stored() == before


def test_a_reply_preview_stores_nothing_and_shows_the_sanitised_html(
    client, member, create_annotation
):
    root = create_annotation()
    before = stored()
    response = client.post(
        f"/annotations/{root.id}/replies/preview.fragment",
        data={"body": "*Yes*<script>alert(1)</script>", "preview": "1"},
    )
    assert response.status_code == 200
    preview = soup_of(response).select_one(".preview")
    assert preview.find("em") and not preview.find("script")
    assert stored() == before


def test_a_reply_to_a_deleted_contribution_is_refused_in_the_form(
    client, member, create_annotation, reply_to, db, create_user
):
    root = create_annotation()
    other = create_user()
    first = reply_to(root, author=other)
    reply_to(first)
    services.delete(other, db.session.get(Annotation, first.id))
    db.session.commit()
    before = stored()
    response = client.post(f"/annotations/{first.id}/replies.fragment", data={"body": "Hm."})
    assert response.status_code == 409
    assert "takes no more replies" in text_of(soup_of(response).select_one(".form-errors"))
    assert stored() == before


def test_anonymous_visitors_get_no_forms_and_store_nothing(client, create_annotation):
    root = create_annotation()
    before = stored()
    assert client.get(f"/annotations/{root.id}/reply-form.fragment").status_code == 401
    response = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "Hi"})
    assert response.status_code == 401
    assert (
        client.post(f"/annotations/{root.id}/edit.fragment", data={"body": "x"}).status_code == 401
    )
    assert client.post(f"/annotations/{root.id}/delete.fragment").status_code == 401
    assert stored() == before


# --- editing and deleting -----------------------------------------------------------------


def test_the_author_edits_in_place_and_the_article_says_edited(
    client, member, create_annotation, db
):
    mine = create_annotation("First words.", author=member)
    form = soup_of(client.get(f"/annotations/{mine.id}/edit.fragment"))
    textarea = form.select_one("textarea")
    assert textarea["id"] == f"edit-{mine.id}-body" and text_of(textarea) == "First words."
    response = client.post(f"/annotations/{mine.id}/edit.fragment", data={"body": "Better words."})
    assert response.status_code == 200
    article = soup_of(response).select_one("article")
    assert article["id"] == f"a{mine.id}"
    assert "Better words." in text_of(article) and "edited" in text_of(article)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AnnotationRevision.id))) == 1


def test_a_bad_edit_comes_back_422_and_changes_nothing(client, member, create_annotation, db):
    mine = create_annotation("First words.", author=member)
    response = client.post(f"/annotations/{mine.id}/edit.fragment", data={"body": "x" * 10_001})
    assert response.status_code == 422
    slot = soup_of(response).select_one('[data-fragment-kind="form"]')
    assert slot.select_one(f"#edit-{mine.id}-body-error")
    db.session.rollback()
    assert db.session.get(Annotation, mine.id).body == "First words."


@pytest.mark.parametrize("path", ["edit.fragment", "delete.fragment"])
def test_nobody_but_the_author_may_edit_or_delete(client, member, create_annotation, path):
    theirs = create_annotation("Not yours.")
    assert client.get(f"/annotations/{theirs.id}/{path}").status_code == 403
    assert client.post(f"/annotations/{theirs.id}/{path}", data={"body": "Mine"}).status_code == 403
    assert stored() == 1


def test_deleting_with_replies_answers_with_the_placeholder(
    client, member, create_annotation, reply_to, db
):
    mine = create_annotation("Soon gone.", author=member)
    reply_to(mine)
    confirm = soup_of(client.get(f"/annotations/{mine.id}/delete.fragment"))
    assert confirm.select_one('form[data-submit="delete"]')
    response = client.post(f"/annotations/{mine.id}/delete.fragment")
    assert response.status_code == 200
    article = soup_of(response).select_one("article")
    assert article["id"] == f"a{mine.id}"
    assert "This contribution was deleted." in text_of(article)
    assert client.post(f"/annotations/{mine.id}/delete.fragment").status_code == 409


def test_deleting_the_last_reply_under_a_placeholder_removes_both(
    client, member, create_annotation, reply_to, db, create_user
):
    root = create_annotation()
    other = create_user()
    middle = reply_to(root, author=other)
    last = reply_to(middle, author=member)
    services.delete(other, db.session.get(Annotation, middle.id))
    db.session.commit()
    response = client.post(f"/annotations/{last.id}/delete.fragment")
    holder = soup_of(response).select_one('[data-fragment-kind="removed"]')
    assert holder["data-removed"].split() == [f"a{last.id}", f"a{middle.id}"]
    assert holder["data-replies-heading"] == "0 replies"
    assert not holder.has_attr("data-redirect")


def test_deleting_a_lone_thread_sends_the_reader_to_the_section(client, member, create_annotation):
    mine = create_annotation(author=member)
    response = client.post(f"/annotations/{mine.id}/delete.fragment")
    holder = soup_of(response).select_one('[data-fragment-kind="removed"]')
    assert holder["data-redirect"] == f"/papers/think-paper-1/v/5.0/sections/{KEY}/"
    assert stored() == 0


# --- CSRF and the posting limit -----------------------------------------------------------


def test_fragment_posts_need_the_csrf_token(csrf_client, create_user, create_annotation):
    person = create_user()
    page = csrf_client.get("/login").get_data(as_text=True)
    csrf_client.post(
        "/login",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    root = create_annotation()
    before = stored()
    refused = csrf_client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "Hi"})
    assert refused.status_code == 400
    assert stored() == before
    token = csrf_token_from(csrf_client.get(f"/annotations/{root.id}").get_data(as_text=True))
    accepted = csrf_client.post(
        f"/annotations/{root.id}/replies.fragment", data={"body": "Hi", "csrf_token": token}
    )
    assert accepted.status_code == 201


def test_the_posting_limit_is_shared_with_the_pages_and_previews_do_not_count(
    client, member, create_annotation, app
):
    root = create_annotation()
    allowance = int(app.config["ANNOTATION_RATE_LIMIT"].split()[0])
    for n in range(allowance + 2):
        preview = client.post(
            f"/annotations/{root.id}/replies/preview.fragment", data={"body": f"Draft {n}"}
        )
        assert preview.status_code == 200
    half = allowance // 2
    for n in range(half):
        assert (
            client.post(f"/annotations/{root.id}/replies", data={"body": f"Page {n}"}).status_code
            == 303
        )
    for n in range(allowance - half):
        response = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": f"F {n}"})
        assert response.status_code == 201, n
    before = stored()
    response = client.post(f"/annotations/{root.id}/replies.fragment", data={"body": "Too many"})
    assert response.status_code == 429
    assert "Please wait a minute" in response.get_data(as_text=True)
    assert client.post(f"/annotations/{root.id}/replies", data={"body": "Also"}).status_code == 429
    assert stored() == before


# --- starting a thread on a section's page ---------------------------------------------------

THREADS_FRAGMENT = f"/papers/think-paper-1/v/5.0/sections/{KEY}/threads.fragment"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"


def test_a_new_thread_comes_back_as_the_section_pages_list_item(client, member, create_annotation):
    first = create_annotation("Earlier.")
    response = client.post(
        THREADS_FRAGMENT, data={"kind": "question", "paragraph": "", "body": "Why **so**?"}
    )
    assert response.status_code == 201
    from app.extensions import db

    new = db.session.scalars(select(Annotation).order_by(Annotation.id.desc())).first()
    assert new.body == "Why **so**?" and new.author_id == member.id and new.is_root
    holder = soup_of(response).select_one('[data-fragment-kind="thread"]')
    assert holder["data-threads-heading"] == "2 threads"
    assert holder["data-after"] == f"thread-{first.id}"  # oldest first: at the end
    card = holder.select_one("li > article.thread-card")
    listed = soup_of(client.get(SECTION_PAGE)).select_one(f".thread-list #thread-{new.id}")
    assert str(card) == str(listed)

    newest = client.post(
        f"{THREADS_FRAGMENT}?sort=newest", data={"kind": "comment", "body": "Newest."}
    )
    assert newest.status_code == 201
    assert soup_of(newest).select_one("[data-fragment-kind]")["data-into"] == "top"
    filtered = client.post(
        f"{THREADS_FRAGMENT}?kind=objection", data={"kind": "comment", "body": "Hidden."}
    )
    holder = soup_of(filtered).select_one("[data-fragment-kind]")
    assert holder.has_attr("data-hidden")
    assert holder["data-threads-heading"].startswith("0 threads")


def test_a_bad_new_thread_comes_back_as_the_form_422_and_nothing_is_stored(client, member):
    response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": "  "})
    assert response.status_code == 422
    slot = soup_of(response).select_one('[data-fragment-kind="form"]')
    assert slot.has_attr("data-thread-form") and slot["data-fragment-action"] == THREADS_FRAGMENT
    assert slot.select_one(".form-errors")
    assert slot.select_one("textarea#body[aria-invalid=true]")
    assert slot.select_one("form")["action"] == SECTION_PAGE
    assert stored() == 0


def test_anonymous_visitors_start_no_thread_in_place(client, paper):
    response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": "Hi"})
    assert response.status_code == 401
    assert stored() == 0


def test_the_section_page_offers_the_thread_fragment_to_the_script(client, member):
    page = soup_of(client.get(SECTION_PAGE))
    slot = page.select_one("#new-thread [data-thread-form]")
    assert slot["data-fragment-action"] == THREADS_FRAGMENT
    assert slot.select_one("form")["action"] == SECTION_PAGE
    assert page.select_one("#site-status[role=status][aria-live=polite]") is not None


def test_new_threads_in_place_share_the_posting_limit(client, member, app):
    allowance = int(app.config["ANNOTATION_RATE_LIMIT"].split()[0])
    half = allowance // 2
    for n in range(half):
        page = client.post(SECTION_PAGE, data={"kind": "comment", "body": f"Page {n}"})
        assert page.status_code == 303
    for n in range(allowance - half):
        response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": f"F {n}"})
        assert response.status_code == 201, n
    before = stored()
    response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": "Too many"})
    assert response.status_code == 429
    assert "Please wait a minute" in response.get_data(as_text=True)
    assert client.post(SECTION_PAGE, data={"kind": "comment", "body": "Also"}).status_code == 429
    assert stored() == before


def test_an_unconfirmed_account_is_refused_in_the_form_and_nothing_is_stored(client, member, db):
    member.email_confirmed_at = None
    db.session.commit()
    response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": "Hello."})
    assert response.status_code == 403
    slot = soup_of(response).select_one('[data-fragment-kind="form"]')
    assert "Log in with a confirmed account" in text_of(slot.select_one("[role=alert]"))
    assert stored() == 0


def test_after_the_comment_period_the_form_says_so_and_nothing_is_stored(client, member, paper, db):
    from datetime import timedelta

    from app.models.base import utcnow

    paper.comment_closes = utcnow().date() - timedelta(days=1)
    db.session.commit()
    response = client.post(THREADS_FRAGMENT, data={"kind": "comment", "body": "Late."})
    assert response.status_code == 403
    alert = soup_of(response).select_one('[data-fragment-kind="form"] [role=alert]')
    assert "Comments on this paper closed on" in text_of(alert)
    assert stored() == 0


def test_a_new_thread_previewed_in_place_is_not_stored(client, member):
    response = client.post(
        THREADS_FRAGMENT, data={"kind": "comment", "body": "Some *words*.", "preview": "1"}
    )
    assert response.status_code == 200
    slot = soup_of(response).select_one('[data-fragment-kind="form"]')
    assert slot.select_one("section.preview em").get_text() == "words"
    assert stored() == 0
