"""Public pages for anonymous readers: no session cookie, ETag and 304, a kept rendering
that changes as soon as anything the page shows does, and never a page of someone else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.personal_data import erase
from app.accounts.services import record_login, update_profile
from app.annotations import dispositions, services
from app.definitions import services as glossary
from app.models import ModerationAction, PageRevision, TargetKind
from app.moderation import services as moderation
from app.moderation.services import Target
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from, login
from tests.unit.test_publishing import source_51

PAPER = "/papers/think-paper-1/"
VERSION = "/papers/think-paper-1/v/5.0/"
SECTION = f"{VERSION}sections/public-sector-idiosyncrasies/"
MARGIN = f"{SECTION}margin.fragment"
PUBLIC_PAGES = [
    "/",
    PAPER,
    VERSION,
    SECTION,
    MARGIN,
    "/glossary/",
    "/api/v1/papers/think-paper-1/versions/5.0/annotations",
]


def fresh(app):
    """A reader's browser with nothing in it yet."""
    return app.test_client()


def read(app, url: str = PAPER) -> str:
    response = fresh(app).get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_an_anonymous_reader_gets_no_cookie_and_a_page_anyone_may_keep(app, paper, url):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: forms are built with tokens
    response = fresh(app).get(url)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, no-cache"
    etag, weak = response.get_etag()
    assert etag and weak  # weak: compression leaves it as it is
    assert response.last_modified is not None
    assert {"Cookie", "Accept-Language"} <= set(response.vary)


def test_a_thread_and_a_term_start_no_session_either(app, annotation, db, create_user):
    app.config["WTF_CSRF_ENABLED"] = True
    editor = create_user("editor")
    glossary.create_term(editor, "public value", definition="Gains.")
    db.session.commit()
    for url in (f"/annotations/{annotation.id}", "/glossary/public-value"):
        response = fresh(app).get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_signed_in_reader_still_gets_a_token_that_works(app, paper, user):
    app.config["WTF_CSRF_ENABLED"] = True
    client = fresh(app)
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_from(page)
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code in (302, 303)
    response = client.get(PAPER)
    assert '<meta name="csrf-token"' in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_etag() == (None, None)
    section = client.get(SECTION).get_data(as_text=True)
    posted = client.post(
        SECTION, data={"body": "Signed and sealed.", "csrf_token": csrf_token_from(section)}
    )
    assert posted.status_code == 303
    assert "Signed and sealed." in read(app, SECTION)


def test_a_repeated_conditional_request_is_answered_304_until_the_page_changes(
    app, paper, create_annotation
):
    first = fresh(app).get(PAPER)
    etag = first.get_etag()[0]
    again = fresh(app).get(PAPER, headers={"If-None-Match": f'W/"{etag}"'})
    assert again.status_code == 304 and not again.data
    assert again.get_etag() == (etag, True)
    assert again.headers["Cache-Control"] == "public, no-cache"
    since = fresh(app).get(PAPER, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304

    create_annotation("A new voice in the margin.")
    changed = fresh(app).get(PAPER, headers={"If-None-Match": f'W/"{etag}"'})
    assert changed.status_code == 200
    assert "A new voice in the margin." in changed.get_data(as_text=True)
    assert changed.get_etag()[0] != etag


def test_the_api_list_answers_304_too(app, paper, annotation):
    url = PUBLIC_PAGES[-1]
    etag = fresh(app).get(url).get_etag()[0]
    assert fresh(app).get(url, headers={"If-None-Match": f'W/"{etag}"'}).status_code == 304
    bearer = fresh(app).get(url, headers={"Authorization": "Bearer nonsense"})
    assert bearer.status_code in (200, 401) and bearer.get_etag() == (None, None)


def test_a_second_anonymous_view_is_served_from_the_cache(
    app, paper, create_annotation, count_queries
):
    for n in range(3):
        create_annotation(f"Thread {n}.")
    with count_queries() as rendered:
        first = read(app)
    for n in range(3, 15):
        create_annotation(f"Thread {n}.")
    read(app)  # rendered again: the discussion moved
    with count_queries() as kept:
        second = read(app)
    assert "15 threads" in second and "3 threads" in first
    # One query for the counters of the site and the paper, whatever the discussion.
    assert kept.count == 1, kept.statements
    assert rendered.count > 5


def test_the_page_changes_at_once_with_each_change_of_the_discussion(
    app, db, paper, create_user, create_annotation
):
    editor, moderator = create_user("editor"), create_user("moderator")
    author = create_user(name="Ada Writer")
    for url in (PAPER, SECTION, MARGIN):
        read(app, url)

    thread = create_annotation("Published at once.", author=author)
    assert "Published at once." in read(app)

    pending = create_annotation("Waiting for review.", author=create_user(trusted=False))
    assert "Waiting for review." not in read(app)
    moderation.decide(
        moderator, Target(TargetKind.ANNOTATION, pending.id), ModerationAction.APPROVE, "Fine."
    )
    db.session.commit()
    assert "Waiting for review." in read(app)

    services.edit(author, thread, "Edited since.")
    db.session.commit()
    page = read(app)
    assert "Edited since." in page and "Published at once." not in page

    assert "1 reply" not in read(app, SECTION)
    create_annotation("A reply.", parent=thread)
    assert "1 reply" in read(app, SECTION)

    assert "thread-card__answer" not in read(app)
    dispositions.answer(editor, thread, "accepted", "Taken into the next version.")
    db.session.commit()
    assert "thread-card__answer" in read(app)

    hide = ModerationAction.HIDE
    moderation.decide(moderator, Target(TargetKind.ANNOTATION, pending.id), hide, "Off topic.")
    db.session.commit()
    assert "Waiting for review." not in read(app)
    restore = ModerationAction.RESTORE
    moderation.decide(moderator, Target(TargetKind.ANNOTATION, pending.id), restore, "Fair.")
    db.session.commit()
    assert "Waiting for review." in read(app)

    update_profile(author, display_name="Ada Renamed")
    db.session.commit()
    page = read(app)
    assert "Ada Renamed" in page and "Ada Writer" not in page

    before = read(app, MARGIN)
    restrict = ModerationAction.RESTRICT
    moderation.decide(moderator, Target(TargetKind.USER, author.id), restrict, "Spam.")
    db.session.commit()
    assert read(app, MARGIN) != before
    assert "Edited since." not in read(app)

    services.delete(pending.author, pending)
    db.session.commit()
    assert "Waiting for review." not in read(app)

    other = create_user(name="Otto Other")
    create_annotation("Still here.", author=other)
    etag = fresh(app).get(PAPER).get_etag()[0]
    suspend = ModerationAction.SUSPEND
    moderation.decide(moderator, Target(TargetKind.USER, other.id), suspend, "Cooling off.")
    db.session.commit()
    assert fresh(app).get(PAPER).get_etag()[0] != etag
    erase(other)
    db.session.commit()
    page = read(app)
    assert "Otto Other" not in page and "Former participant" in page


def test_adopting_a_definition_and_publishing_a_version_show_at_once(
    app, db, paper, import_paper, create_user
):
    editor = create_user("editor")
    page = read(app)
    assert "/glossary/public-value" not in page
    _term, proposal = glossary.create_term(
        editor, "public value", definition="What the public gains.", rationale=None
    )
    db.session.commit()
    glossary.adopt(editor, proposal)
    db.session.commit()
    assert "/glossary/public-value" in read(app)
    assert "What the public gains." in read(app, "/glossary/public-value")

    assert "<dd>5.1," not in read(app, "/")
    import_paper(source_51())
    assert "<dd>5.1," in read(app, "/")
    assert "Tightened section 3.2." in read(app)


def test_writes_that_no_page_shows_leave_the_pages_kept(app, db, paper, user):
    counters = lambda: db.session.execute(select(PageRevision.scope, PageRevision.revision)).all()  # noqa: E731
    before = counters()
    record_login(user)
    db.session.commit()
    assert counters() == before
    update_profile(user, display_name="Someone Else")
    db.session.commit()
    assert counters() != before


def test_a_signed_in_reader_gets_their_own_page_after_an_anonymous_one_was_kept(
    app, paper, create_user, create_annotation, db
):
    newcomer = create_user(name="Nina Newcomer", trusted=False)
    create_annotation("My thread awaiting review.", author=newcomer)
    anonymous = read(app)
    assert "My thread awaiting review." not in anonymous and "Nina Newcomer" not in anonymous

    client = fresh(app)
    login(client, newcomer)
    own = client.get(PAPER).get_data(as_text=True)
    assert "Nina Newcomer" in own and "My thread awaiting review." in own

    again = read(app)
    assert "Nina Newcomer" not in again and "My thread awaiting review." not in again


def test_the_marking_mode_and_the_language_have_pages_of_their_own(app, paper, db, create_user):
    editor = create_user("editor")
    _term, proposal = glossary.create_term(editor, "public value", definition="Gains.")
    glossary.adopt(editor, proposal)
    db.session.commit()
    pages = {mode: read(app, f"{PAPER}?terms={mode}") for mode in ("none", "first", "all")}
    assert len(set(pages.values())) == 3
    chosen = fresh(app)
    chosen.set_cookie("terms", "all")
    by_cookie = chosen.get(PAPER)
    # The same page but for the log-in link and the language switcher, which name the
    # address asked for.
    asked = pages["all"].replace("?terms%3Dall", "").replace('/?terms=all">', '/">')
    assert by_cookie.get_data(as_text=True) == asked
    assert by_cookie.get_data(as_text=True) != read(app)  # the default mode: "first"
    assert "Set-Cookie" in fresh(app).get(f"{PAPER}?terms=none").headers  # the reader chose

    app.config["LANGUAGES"] = ["en_GB", "de"]
    german = fresh(app).get(PAPER, headers={"Accept-Language": "de"})
    assert '<html lang="de">' in german.get_data(as_text=True)
    assert '<html lang="en-GB">' in read(app)


def test_a_flash_message_is_shown_once_and_never_kept(app, paper):
    client = fresh(app)
    read(app)  # the anonymous page is kept
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Something to tell you.")]
    response = client.get(PAPER)
    assert "Something to tell you." in response.get_data(as_text=True)
    assert response.headers.get("Cache-Control") != "public, no-cache"
    assert "Something to tell you." not in client.get(PAPER).get_data(as_text=True)
    assert "Something to tell you." not in read(app)


def test_a_reader_who_saw_the_log_in_form_still_gets_the_kept_page(app, paper, count_queries):
    app.config["WTF_CSRF_ENABLED"] = True
    client = fresh(app)
    assert "Set-Cookie" in client.get("/login").headers  # the form's token, in a session
    etag = fresh(app).get(PAPER).get_etag()[0]
    with count_queries() as kept:
        response = client.get(PAPER, headers={"If-None-Match": f'W/"{etag}"'})
    assert response.status_code == 304 and kept.count == 1
    # Their copy names their session cookie: a shared cache must not keep it for others.
    assert response.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_kept_page_is_compressed_once_and_changes_with_the_discussion(
    app, paper, create_annotation, encoding, monkeypatch
):
    import gzip

    import brotli

    from app.core import page_cache

    decode = brotli.decompress if encoding == "br" else gzip.decompress
    compressions = []
    real = page_cache.compress
    monkeypatch.setattr(
        page_cache, "compress", lambda *a, **k: compressions.append(a[1]) or real(*a, **k)
    )
    create_annotation("A first thread.")

    def view():
        response = fresh(app).get(PAPER, headers={"Accept-Encoding": f"{encoding}, identity"})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        return decode(response.get_data()).decode()

    plain = read(app)
    assert view() == plain and view() == plain
    assert compressions == [encoding]  # the second view sent the copy kept
    create_annotation("A second thread.")
    changed = view()
    assert "A second thread." in changed and changed == read(app)
    assert compressions == [encoding, encoding]
