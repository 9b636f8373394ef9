"""Contributions carry the language they are written in, so that screen readers read them
with the right voice: chosen in the forms (the interface's language by default), accepted
and returned by the API, and put on the element that holds the words as `lang` (and `dir`
for right-to-left scripts). Names and quotes of the paper are marked `translate="no"`."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask_babel import refresh
from sqlalchemy import select

from app.annotations import dispositions
from app.core.languages import LANGUAGES, language_choices
from app.models import Role
from app.models.annotation import Annotation
from app.models.definitions import DefinitionProposal, ProposalComment
from tests.web.test_api_annotations import auth, error_of, open_for_comments, post, root, token_for

KEY = "public-sector-idiosyncrasies"
SECTION_PAGE = f"/papers/think-paper-1/v/5.0/sections/{KEY}/"


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def stored(db) -> Annotation:
    return db.session.scalars(select(Annotation).order_by(Annotation.id.desc())).first()


@pytest.fixture
def member(create_user, logged_in, paper, db):
    open_for_comments(paper, db)
    person = create_user(name="Rose Dupont")
    logged_in(person)
    return person


@pytest.fixture
def languages(app):
    """The site as it will be with French and German interfaces."""
    app.config["LANGUAGES"] = ["en_GB", "fr", "de"]
    return app


# --- the forms ------------------------------------------------------------------------------


def test_a_thread_posted_in_german_is_stored_and_marked_as_german(client, member, db):
    form = soup_of(client.get(SECTION_PAGE)).select_one("#new-thread form")
    select_ = form.select_one("select[name=language]")
    assert form.find("label", attrs={"for": select_["id"]}).get_text(strip=True)
    assert select_.select_one("option[selected]")["value"] == "en"
    assert {o["value"] for o in select_.select("option")} == LANGUAGES

    response = client.post(
        SECTION_PAGE,
        data={"kind": "comment", "paragraph": "", "body": "Ein *Gedanke*.", "language": "de"},
    )
    assert response.status_code == 303
    annotation = stored(db)
    assert annotation.language == "de"

    thread = soup_of(client.get(response.headers["Location"]))
    body = thread.select_one(f"#a{annotation.id} .annotation-body")
    assert body["lang"] == "de" and "dir" not in body.attrs
    assert body.em.get_text() == "Gedanke"
    assert thread.select_one(f"#a{annotation.id} .author")["translate"] == "no"
    card = soup_of(client.get(SECTION_PAGE)).select_one(".thread-card__body")
    assert card["lang"] == "de"


def test_a_reply_in_arabic_is_marked_right_to_left(client, member, create_annotation, db):
    parent = create_annotation(body="A point.")
    response = client.post(
        f"/annotations/{parent.id}/replies", data={"body": "نقطة جيدة", "language": "ar"}
    )
    assert response.status_code == 303
    reply = stored(db)
    assert reply.language == "ar" and reply.parent_id == parent.id
    page = soup_of(client.get(f"/annotations/{parent.id}"))
    body = page.select_one(f"#a{reply.id} .annotation-body")
    assert body["lang"] == "ar" and body["dir"] == "rtl"
    assert page.select_one(f"#a{parent.id} .annotation-body")["lang"] == "en"


def test_an_unknown_language_is_refused_on_its_field_and_nothing_is_stored(client, member, db):
    response = client.post(
        SECTION_PAGE, data={"kind": "comment", "paragraph": "", "body": "Hi.", "language": "xx"}
    )
    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "Unknown language" in page.select_one("#language-error").get_text()
    assert stored(db) is None


def test_the_default_is_the_interface_language_and_names_are_in_it(client, member, languages, db):
    page = soup_of(client.get(SECTION_PAGE, headers={"Accept-Language": "fr"}))
    select_ = page.select_one("#new-thread select[name=language]")
    assert select_.select_one("option[selected]")["value"] == "fr"
    names = [o.get_text(strip=True) for o in select_.select("option")]
    assert "allemand" in names and "français" in names
    assert names == sorted(names, key=str.casefold)

    # A post that leaves the field out (an older page) takes the interface's language too.
    response = client.post(
        SECTION_PAGE,
        data={"kind": "comment", "paragraph": "", "body": "Ein Gedanke."},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert response.status_code == 303
    assert stored(db).language == "de"


def test_choices_are_named_in_the_interface_language(app, languages):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        names = dict(language_choices())
    assert names["fr"] == "Französisch" and names["en"] == "Englisch"
    with app.test_request_context():
        refresh()  # the tests' one application context keeps the locale chosen above
        names = dict(language_choices())
    assert names["de"] == "German" and len(names) == len(LANGUAGES)


def test_an_edit_keeps_the_language_unless_it_is_changed(client, member, create_annotation, db):
    annotation = create_annotation(author=member, body="Ein Gedanke.", language="de")
    form = soup_of(client.get(f"/annotations/{annotation.id}/edit"))
    assert form.select_one("select[name=language] option[selected]")["value"] == "de"

    response = client.post(f"/annotations/{annotation.id}/edit", data={"body": "Zwei Gedanken."})
    assert response.status_code == 303
    db.session.expire_all()
    assert (annotation.body, annotation.language) == ("Zwei Gedanken.", "de")

    response = client.post(
        f"/annotations/{annotation.id}/edit", data={"body": "Zwei Gedanken.", "language": "nl"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert annotation.language == "nl"
    body = soup_of(client.get(f"/annotations/{annotation.id}")).select_one(".annotation-body")
    assert body["lang"] == "nl"


def test_the_papers_text_and_its_quotes_are_marked_as_the_papers(client, member, db, section):
    page = soup_of(client.get("/papers/think-paper-1/"))
    texts = page.select(".section-text")
    assert texts and all(t["lang"] == "en" for t in texts)
    quote = section.text[:40]
    response = client.post(
        SECTION_PAGE,
        data={"kind": "comment", "paragraph": "1", "body": "Über diesen Absatz.", "language": "de"},
    )
    assert response.status_code == 303, quote
    thread = soup_of(client.get(response.headers["Location"]))
    quoted = thread.select_one("blockquote.quote__text")
    assert quoted["lang"] == "en" and quoted["translate"] == "no"
    card_quote = soup_of(client.get(SECTION_PAGE)).select_one(".thread-card__quote [translate]")
    assert card_quote["translate"] == "no" and card_quote["lang"] == "en"


@pytest.fixture
def section(paper, db):
    from app.models import PaperVersion, Section

    return db.session.scalar(
        select(Section)
        .join(PaperVersion, PaperVersion.id == Section.version_id)
        .where(PaperVersion.paper_id == paper.id, Section.key == KEY)
    )


def test_a_definition_and_a_comment_carry_their_languages(client, member, db):
    response = client.post(
        "/glossary/",
        data={
            "label": "Souveraineté",
            "definition": "La *capacité* de décider.",
            "language": "fr",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    proposal = db.session.scalars(select(DefinitionProposal)).one()
    assert proposal.language == "fr"
    term_url = response.headers["Location"].split("#")[0]
    page = soup_of(client.get(term_url))
    text = page.select_one(f"#proposal-{proposal.id} .definition__text")
    assert text["lang"] == "fr"

    posted = client.post(
        f"{term_url.rstrip('/')}/proposals/{proposal.id}/comments",
        data={f"p{proposal.id}-body": "Gut.", f"p{proposal.id}-language": "de"},
    )
    assert posted.status_code == 303, posted.get_data(as_text=True)[:300]
    comment = db.session.scalars(select(ProposalComment)).one()
    assert comment.language == "de"
    page = soup_of(client.get(term_url))
    assert page.select_one(f"#comment-{comment.id} .glossary-comment__body")["lang"] == "de"


def test_an_editors_answer_carries_its_language(client, create_user, logged_in, paper, db):
    open_for_comments(paper, db)
    editor = create_user(Role.EDITOR)
    author = create_user()
    from app.annotations import services
    from app.models import PaperVersion, Section

    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    section = db.session.scalar(select(Section).where(Section.version_id == version.id))
    thread = services.create_thread(author, paper, version, section, "A point.")
    db.session.commit()
    logged_in(editor)
    response = client.post(
        f"/annotations/{thread.id}/disposition",
        data={"outcome": "noted", "response": "Merci.", "language": "fr", "version": ""},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    [answer] = dispositions.history(thread)
    page = soup_of(client.get(f"/annotations/{thread.id}"))
    assert page.select_one(".disposition__response")["lang"] == "fr"
    assert answer.language == "fr"


# --- the API, feeds and the Web Annotation export -------------------------------------------


def test_the_api_takes_and_returns_the_language(client, user, paper, db):
    open_for_comments(paper, db)
    token = token_for(user, db)
    made = post(client, token, root(body="Ein Gedanke.", language="de"))
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["language"] == "de"
    thread_id = made.get_json()["id"]

    default = post(client, token, root(body="A thought."))
    assert default.get_json()["language"] == "en"

    reply = post(client, token, {"parent": thread_id, "body": "Oui.", "language": "FR"})
    assert reply.status_code == 201 and reply.get_json()["language"] == "fr"

    changed = client.patch(
        f"/api/v1/annotations/{thread_id}", json={"language": "nl"}, headers=auth(token)
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["language"] == "nl" and changed.get_json()["body"] == "Ein Gedanke."
    assert client.get(f"/api/v1/annotations/{thread_id}").get_json()["language"] == "nl"


@pytest.mark.parametrize("tag", ["xx", "de-AT", "", "english"])
def test_the_api_refuses_an_unknown_language_naming_the_field(client, user, paper, db, tag):
    open_for_comments(paper, db)
    token = token_for(user, db)
    before = db.session.scalars(select(Annotation)).all()
    error = error_of(post(client, token, root(language=tag)), 422)
    assert "unknown language tag" in error["fields"]["language"]
    assert "de, " in error["fields"]["language"]
    assert db.session.scalars(select(Annotation)).all() == before
    error = error_of(post(client, token, root(language=7)), 422)
    assert "string" in error["fields"]["language"]


def test_the_api_takes_the_language_of_definitions_and_comments(client, create_user, db):
    author = create_user()
    token = token_for(author, db)
    made = client.post(
        "/api/v1/terms",
        json={"label": "Gemeinwohl", "definition": "Das Wohl aller.", "language": "de"},
        headers=auth(token),
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    proposal = made.get_json()["proposals"][0]
    assert proposal["language"] == "de"
    comment = client.post(
        f"/api/v1/proposals/{proposal['id']}/comments",
        json={"body": "Bien.", "language": "fr"},
        headers=auth(token),
    )
    assert comment.status_code == 201 and comment.get_json()["language"] == "fr"
    refused = client.post(
        f"/api/v1/terms/{made.get_json()['slug']}/proposals",
        json={"text": "Autre.", "language": "klingon"},
        headers=auth(token),
    )
    assert "language" in error_of(refused, 422)["fields"]


def test_feeds_and_the_web_annotation_export_give_the_language(client, create_annotation, db):
    annotation = create_annotation(body="Ein Gedanke.", language="de")
    feed = client.get("/papers/think-paper-1/feed.atom")
    assert feed.status_code == 200
    assert b'xml:lang="de"' in feed.data
    exported = client.get("/api/v1/papers/think-paper-1/annotations.jsonld").get_json()
    [item] = [i for i in exported["first"]["items"] if i["id"].endswith(f"/{annotation.id}")]
    assert item["body"][0]["language"] == "de"


def test_an_editor_sees_two_labelled_language_choices_with_their_own_ids(
    client, create_user, logged_in, create_annotation, db
):
    thread = create_annotation("A point.")
    logged_in(create_user(Role.EDITOR))
    page = soup_of(client.get(f"/annotations/{thread.id}"))
    selects = page.select("select[name=language]")
    assert len(selects) == 2
    for select_ in selects:
        assert page.find("label", attrs={"for": select_["id"]}).get_text(strip=True)
    ids = [element["id"] for element in page.select("[id]")]
    assert len(ids) == len(set(ids))
