"""The editors' publishing pages: a form, a preview that stores nothing, then publish."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.annotations import carrying
from app.models import Anchor, AnnotationKind, PaperVersion
from tests.unit.test_publishing import QUOTE_KEPT, SOURCE_50, rows, source_51

URL = "/editor/papers/think-paper-1/publish"


@pytest.fixture
def editor_client(create_user, logged_in, paper):
    return logged_in(create_user("editor"))


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    if match is None:
        match = re.search(rf'type="hidden"[^>]* name="{name}"[^>]* value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    import html as html_module

    return html_module.unescape(match.group(1))


def preview(client, text: str, **extra):
    return client.post(URL, data={"source_text": text, "action": "preview", **extra})


def test_the_editor_index_links_to_publishing(editor_client):
    page = editor_client.get("/editor/").get_data(as_text=True)
    assert f'href="{URL}"' in page


def test_participants_and_moderators_may_not_publish(client, create_user, logged_in, paper, db):
    assert client.get(URL).status_code in (302, 303)  # anonymous: to the log-in page
    for role in ("participant", "moderator"):
        user_client = logged_in(create_user(role))
        assert user_client.get(URL).status_code == 403
        before = rows(db)
        assert preview(user_client, source_51()).status_code == 403
        response = user_client.post(
            URL, data={"action": "publish", "source": source_51(), "sha256": "0" * 64}
        )
        assert response.status_code == 403
        assert rows(db) == before
        user_client.post("/logout")


def test_unknown_paper_is_404(editor_client):
    assert editor_client.get("/editor/papers/no-such-paper/publish").status_code == 404


def test_the_form(editor_client):
    response = editor_client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="source_text"' in page and 'name="change_note"' in page


def test_a_preview_shows_sections_and_threads_and_stores_nothing(
    editor_client, db, create_annotation
):
    thread = create_annotation("Still true?", quote=QUOTE_KEPT)
    before = rows(db)
    response = preview(editor_client, source_51())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Preview of version 5.1" in page
    assert "Tightened section 3.2." in page
    assert "What sets the public sector apart" in page and "renamed, changed" in page
    assert "Public sector idiosyncrasies" in page  # the heading before
    assert f"/annotations/{thread.id}" in page and "Still true?" in page
    assert "Publish version 5.1" in page
    assert rows(db) == before


def test_an_uploaded_file_is_previewed(editor_client):
    data = {
        "source_file": (io.BytesIO(source_51().encode("utf-8")), "5.1.md"),
        "action": "preview",
    }
    response = editor_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Preview of version 5.1" in response.get_data(as_text=True)


def test_a_file_that_is_not_markdown_or_not_utf8_is_refused(editor_client):
    data = {"source_file": (io.BytesIO(b"x"), "5.1.pdf"), "action": "preview"}
    response = editor_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Markdown file" in response.get_data(as_text=True)
    data = {"source_file": (io.BytesIO("é".encode("latin-1")), "5.1.md"), "action": "preview"}
    response = editor_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not UTF-8" in response.get_data(as_text=True)


def test_no_source_or_two_sources_are_refused(editor_client):
    response = preview(editor_client, "")
    assert response.status_code == 422
    assert "Upload the source as a file or paste it here." in response.get_data(as_text=True)
    data = {
        "source_file": (io.BytesIO(source_51().encode("utf-8")), "5.1.md"),
        "source_text": source_51(),
        "action": "preview",
    }
    response = editor_client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not both" in response.get_data(as_text=True)


def test_a_source_error_is_listed_with_its_line(editor_client, db):
    text = source_51(**{"Organisational change practice": "Organisational[^99] change practice"})
    line = next(n for n, row in enumerate(text.split("\n"), start=1) if "[^99]" in row)
    before = rows(db)
    response = preview(editor_client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Line {line}" in page and "footnote reference [^99] has no note" in page
    assert "Publish version" not in page
    assert 'name="source_text"' in page  # the form again, to correct the source
    assert rows(db) == before


def test_the_change_note_field_sets_the_change_note(editor_client, db):
    text = SOURCE_50.replace('version: "5.0"', 'version: "5.1"')
    assert preview(editor_client, text).status_code == 422  # no change note anywhere
    response = preview(editor_client, text, change_note="Typed in the form.")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    response = editor_client.post(
        URL,
        data={
            "action": "publish",
            "source": hidden(page, "source"),
            "sha256": hidden(page, "sha256"),
            "filename": hidden(page, "filename"),
        },
    )
    assert response.status_code == 303
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version.change_note == "Typed in the form."
    assert 'change_note: "Typed in the form."' in version.source


def publish_from(client, page: str, **override):
    data = {
        "action": "publish",
        "source": hidden(page, "source"),
        "sha256": hidden(page, "sha256"),
        "filename": hidden(page, "filename"),
    }
    data.update(override)
    return client.post(URL, data=data)


def test_publish_after_preview(editor_client, db, create_annotation):
    thread = create_annotation("Still true?", quote=QUOTE_KEPT)
    page = preview(editor_client, source_51()).get_data(as_text=True)
    response = publish_from(editor_client, page)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/papers/think-paper-1/v/5.1/")
    db.session.rollback()
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version is not None and version.change_note == "Tightened section 3.2."
    anchor = db.session.scalar(select(Anchor).where(Anchor.version_id == version.id))
    assert anchor.annotation_id == thread.id and anchor.status.value == "exact"
    landed = editor_client.get(response.headers["Location"])
    assert "Version 5.1 of" in landed.get_data(as_text=True)  # the flash message
    older = editor_client.get("/papers/think-paper-1/v/5.0/").get_data(as_text=True)
    assert "Read the latest version, 5.1" in older


def test_publishing_the_same_version_again_is_refused(editor_client, db):
    page = preview(editor_client, source_51()).get_data(as_text=True)
    assert publish_from(editor_client, page).status_code == 303
    before = rows(db)
    again = publish_from(editor_client, page)
    assert again.status_code == 422
    assert "already published" in again.get_data(as_text=True)
    assert preview(editor_client, source_51()).status_code == 422
    assert rows(db) == before


def test_a_source_other_than_the_previewed_one_is_not_published(editor_client, db):
    page = preview(editor_client, source_51()).get_data(as_text=True)
    before = rows(db)
    response = publish_from(editor_client, page, source=source_51(**{"Summing up": "Sum up"}))
    assert response.status_code == 422
    assert "not the one that was previewed" in response.get_data(as_text=True)
    assert rows(db) == before


def test_a_failure_mid_publish_leaves_nothing(editor_client, db, create_annotation, monkeypatch):
    create_annotation("Still true?", quote=QUOTE_KEPT)
    page = preview(editor_client, source_51()).get_data(as_text=True)
    before = rows(db)

    def fail(plan, version):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(carrying, "store", fail)
    response = publish_from(editor_client, page)
    assert response.status_code == 500
    assert rows(db) == before


def test_the_editor_who_loses_a_race_sees_the_preview_with_the_conflict(
    editor_client, db, create_user, monkeypatch
):
    """Two editors publish 5.1 at the same moment: the second passed its checks before the
    first committed. The database refuses it; the page still answers, with the preview and
    the reason, and stores nothing."""
    from app.editor import publishing
    from app.papers import services as paper_services
    from app.papers.source import parse_source

    page = preview(editor_client, source_51()).get_data(as_text=True)
    stale = paper_services.check_version("think-paper-1", parse_source(source_51(), "5.1.md"))
    publishing.publish(create_user("editor"), "think-paper-1", source_51(), "5.1.md")
    db.session.commit()
    before = rows(db)
    monkeypatch.setattr(paper_services, "check_version", lambda slug, parsed: stale)
    response = publish_from(editor_client, page)
    assert response.status_code == 422
    assert "published at the same moment" in response.get_data(as_text=True)
    assert rows(db) == before


def test_a_suggestion_the_new_version_takes_up_is_previewed_and_counted_as_applied(
    editor_client, db, create_annotation
):
    proposed = "bureaucracy stays essential to the functioning of today's society"
    create_annotation(
        "Shorter.", quote=QUOTE_KEPT, kind=AnnotationKind.SUGGESTION, proposed_text=proposed
    )
    page = preview(editor_client, source_51(**{QUOTE_KEPT: proposed})).get_data(as_text=True)
    assert "taken up: 1" in page and "orphaned: 0" in page
    landing = re.search(r'<tr class="landing landing--applied">.*?</tr>', page, re.S)
    assert landing is not None and proposed.replace("'", "&#39;") in landing.group(0)
    response = publish_from(editor_client, page)
    assert response.status_code == 303
    landed = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 fuzzy, 1 applied, 0 orphaned" in landed  # the flash message
