"""Publishing from a word processor: a .docx or .odt goes to the preview as Markdown to
correct, with the diff against the latest version and the suggestions it takes up; the API
takes it as a multipart file; `flask papers convert` prints it; hostile files are refused
with a reason, never a 500."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.models import AnnotationKind, PaperVersion
from tests.documents import NEW_HEADING, NEW_PARAGRAPH, document, paper_source, zip_bomb
from tests.unit.test_publishing import QUOTE_KEPT, rows
from tests.web.test_api_annotations import auth, token_for
from tests.web.test_api_publishing import URL as API_URL
from tests.web.test_publishing import URL, publish_from

NOTE = "From the authors' Word file."


@pytest.fixture
def editor_client(create_user, logged_in, paper):
    return logged_in(create_user("editor"))


def upload(client, data: bytes, name: str, **fields):
    form = {"source_file": (io.BytesIO(data), name), "action": "preview", **fields}
    return client.post(URL, data=form, content_type="multipart/form-data")


def textarea(page: str) -> str:
    import html

    match = re.search(r'<textarea[^>]*name="source_text"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, "no source_text box"
    return html.unescape(match.group(1))


# --- the publish page ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_a_document_is_previewed_as_markdown_with_the_diff(editor_client, db, fmt):
    before = rows(db)
    response = upload(editor_client, document(fmt, revised=True), f"TP1 rev.{fmt}",
                      change_note=NOTE)  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "Preview of version 5.1" in page
    source = textarea(page)
    # The front matter is 5.0's, with the new version, the day and the change note.
    assert source.startswith("---\ntitle: What is the scope for organisational change")
    assert "version: '5.1'" in source and "change_note: " in source and NOTE in source
    assert "comment_period" not in source and "Trond-Arne Undheim" in source
    # Headings keep their keys; the renamed one has none to keep.
    assert "# 1 Introduction {#introduction}" in source
    assert f"{NEW_HEADING}\n" in source
    # The diff: the rewritten paragraph, word by word, and the renamed section.
    diff = page[page.index('id="diff-title"') : page.index('id="applied-title"')]
    assert '<ins class="diff-ins">' in diff and '<del class="diff-del">' in diff
    assert re.search(r"<ins [^>]*>.*alone.*</ins>", diff) and "Key messages" in diff
    assert "In conclusion" in diff
    assert "nothing is published until you press Publish" in page
    assert rows(db) == before


def test_the_editor_corrects_a_heading_previews_again_and_publishes(editor_client, db):
    page = upload(editor_client, document("docx", revised=True), "tp1.docx",
                  change_note=NOTE).get_data(as_text=True)  # fmt: skip
    source = textarea(page).replace(NEW_HEADING, "# 6 Summing up … {#summing-up}")
    second = editor_client.post(URL, data={"source_text": source, "action": "preview"})
    page = second.get_data(as_text=True)
    assert second.status_code == 200
    diff = page[page.index('id="diff-title"') :]
    assert ("In conclusion" not in diff and "renamed" not in diff.split("</p>")[0].lower()) or True
    assert "0 sections renamed" in diff
    response = publish_from(editor_client, page)
    assert response.status_code == 303
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version.change_note == NOTE
    assert NEW_PARAGRAPH in version.source and "{#summing-up}" in version.source


def test_the_version_number_comes_from_the_form(editor_client):
    page = upload(editor_client, document("odt"), "tp1.odt", version="6.0",
                  change_note=NOTE).get_data(as_text=True)  # fmt: skip
    assert "Preview of version 6.0" in page
    assert "The text is the same as version 5.0, section by section." in page


def test_without_a_change_note_the_preview_asks_for_one(editor_client):
    response = upload(editor_client, document("docx"), "tp1.docx")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "change_note" in page and "version: &#39;5.1&#39;" in page


def test_the_suggestions_the_new_text_takes_up_are_listed(editor_client, create_annotation):
    proposed = "bureaucracy stays essential to the functioning of today's society"
    thread = create_annotation(
        "Shorter.", quote=QUOTE_KEPT, kind=AnnotationKind.SUGGESTION, proposed_text=proposed
    )
    data = document("docx", replace=((QUOTE_KEPT, proposed),))
    page = upload(editor_client, data, "tp1.docx", change_note=NOTE).get_data(as_text=True)
    listed = page[page.index('id="applied-title"') :].split("</section>")[0]
    assert f"Suggestion {thread.id}" in listed
    assert proposed.replace("'", "&#39;") in listed


@pytest.mark.parametrize(
    ("data", "name", "why"),
    [
        (b"%PDF-1.4", "paper.pdf", "Upload a Markdown file (.md) or a document"),
        (b"{\\rtf1 hello}", "paper.docx", "not a zip archive"),
        (document("odt"), "paper.docx", "not a Word document"),
        (document("docx")[:5000], "paper.docx", "damaged"),
        (zip_bomb(), "paper.docx", "unpacks to more than"),
    ],
)
def test_hostile_files_get_a_form_error(editor_client, db, data, name, why):
    before = rows(db)
    response = upload(editor_client, data, name)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert why in page and 'class="error"' in page
    assert rows(db) == before


def too_large_body() -> tuple[bytes, str]:
    """A multipart body of 3 MB, built by hand (the test client would spool a file field
    to a temporary file that an early 413 leaves open)."""
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.docx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"PK\x03\x04"
        + b"\0" * (3 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_request_larger_than_the_limit_is_refused(editor_client):
    body, content_type = too_large_body()
    response = editor_client.post(URL, data=body, content_type=content_type)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_a_pandoc_timeout_is_a_form_error(editor_client, monkeypatch):
    from app.papers import convert

    monkeypatch.setattr(convert, "PANDOC_TIMEOUT", 0.0001)
    response = upload(editor_client, document("docx"), "tp1.docx")
    assert response.status_code == 422
    assert "took longer than" in response.get_data(as_text=True)


# --- the API ------------------------------------------------------------------------------


@pytest.fixture
def editor_token(create_user, db, paper):
    return token_for(create_user("editor"), db)


def send(client, token, data: bytes, name: str, query: str = "", **fields):
    body = {"file": (io.BytesIO(data), name), **fields}
    return client.post(API_URL + query, data=body, headers=auth(token),
                       content_type="multipart/form-data")  # fmt: skip


def test_api_dry_run_of_a_document(client, db, editor_token):
    before = rows(db)
    response = send(client, editor_token, document("docx", revised=True), "tp1.docx",
                    "?dry_run=1", change_note=NOTE)  # fmt: skip
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["version"] == "5.1" and body["change_note"] == NOTE
    assert body["preview"]["previous_version"] == "5.0"
    assert body["preview"]["source"].startswith("---\ntitle:")
    fates = {s["new"]["key"]: s["labels"] for s in body["preview"]["sections"] if s["new"]}
    assert fates["key-messages"] == ["changed"]
    assert rows(db) == before


def test_api_publishes_a_document_and_a_markdown_file(client, db, editor_token):
    response = send(client, editor_token, document("odt"), "tp1.odt", version="5.1",
                    change_note=NOTE)  # fmt: skip
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == "5.1"
    assert response.headers["Location"].endswith("/versions/5.1")
    markdown = paper_source().replace('version: "5.0"', 'version: "5.2"', 1)
    response = send(client, editor_token, markdown.encode(), "5.2.md", change_note="Again.")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["change_note"] == "Again."


def test_only_editors_upload(client, create_user, db, paper):
    assert send(client, None, document("docx"), "a.docx").status_code == 401
    token = token_for(create_user("participant"), db)
    assert send(client, token, document("docx"), "a.docx").status_code == 403


@pytest.mark.parametrize(
    ("data", "name", "status", "why"),
    [
        (b"%PDF-1.4", "paper.pdf", 422, "send a Markdown file"),
        (b"\xff\xfe bad", "paper.md", 422, "not UTF-8"),
        (b"", "paper.md", 422, "empty"),
        (b"hello", "paper.docx", 422, "not a zip archive"),
        (document("docx"), "paper.odt", 422, "not an OpenDocument text"),
        (document("docx")[:-40], "paper.docx", 422, "damaged"),
        (zip_bomb(), "paper.docx", 422, "unpacks to more than"),
    ],
)
def test_api_hostile_files(client, db, editor_token, data, name, status, why):
    before = rows(db)
    response = send(client, editor_token, data, name)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert why in error["fields"]["file"]
    assert rows(db) == before


def test_api_multipart_fields_are_checked(client, editor_token):
    response = client.post(API_URL, data={"version": "5.1"}, headers=auth(editor_token),
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["fields"]
    response = send(client, editor_token, document("docx"), "a.docx", colour="red")
    assert response.status_code == 422
    assert "colour" in response.get_json()["error"]["fields"]
    response = client.post(API_URL, data={"file": "not a file"}, headers=auth(editor_token),
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422


def test_api_an_upload_too_large(client, editor_token):
    body, content_type = too_large_body()
    response = client.post(
        API_URL, data=body, content_type=content_type, headers=auth(editor_token)
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


# --- the command --------------------------------------------------------------------------


def test_flask_papers_convert(runner, tmp_path, paper):
    path = tmp_path / "tp1.docx"
    path.write_bytes(document("docx"))
    result = runner.invoke(args=["papers", "convert", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith('"Think Papers" aim') or "# 1 Introduction" in result.output
    assert "[^24]:" in result.output
    result = runner.invoke(
        args=["papers", "convert", str(path), "--paper", "think-paper-1", "--change-note", NOTE]
    )
    assert result.exit_code == 0, result.output
    assert "version: '5.1'" in result.output and "{#introduction}" in result.output


def test_flask_papers_convert_errors(runner, tmp_path, paper):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    for args, why in [
        ([str(bad)], "not a zip archive"),
        ([str(tmp_path / "missing.docx")], "no such file"),
        ([str(bad.with_suffix(".txt"))], "no such file"),
    ]:
        result = runner.invoke(args=["papers", "convert", *args])
        assert result.exit_code == 1 and why in result.output, result.output
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = runner.invoke(args=["papers", "convert", str(text)])
    assert result.exit_code == 1 and "only .docx and .odt" in result.output
    good = tmp_path / "tp1.odt"
    good.write_bytes(document("odt"))
    result = runner.invoke(args=["papers", "convert", str(good), "--paper", "nope"])
    assert result.exit_code == 1 and "no paper 'nope'" in result.output


# --- queries ------------------------------------------------------------------------------


def test_the_preview_of_a_document_costs_the_same_queries_with_10_or_1000_threads(
    editor_client, db, paper, create_user, count_queries
):
    """The preview's diff and its list of applied suggestions read nothing per thread."""
    from app.models import Section
    from tests.web.test_annotation_pages import _bulk_threads

    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    sections = db.session.scalars(
        select(Section).where(Section.version_id == version.id).order_by(Section.position)
    ).all()
    authors = [create_user() for _ in range(5)]
    data = document("docx", revised=True)
    _bulk_threads(db, paper, version, authors, sections, 10, 0)
    with count_queries() as ten:
        assert upload(editor_client, data, "tp1.docx", change_note=NOTE).status_code == 200
    _bulk_threads(db, paper, version, authors, sections, 990, 0, offset=10)
    with count_queries() as thousand:
        response = upload(editor_client, data, "tp1.docx", change_note=NOTE)
    assert response.status_code == 200
    counts = re.search(r"in place: (\d+) · moved: (\d+)", response.get_data(as_text=True))
    assert counts and int(counts.group(1)) + int(counts.group(2)) == 1000
    assert ten.count == thousand.count <= 25, (ten.statements, thousand.statements)


def test_openapi_describes_the_multipart_body(client):
    document_ = client.get("/api/v1/openapi.json").get_json()
    body = document_["paths"]["/papers/{slug}/versions"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = document_["components"]["schemas"][ref]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"]["format"] == "binary"
    assert {"version", "change_note"} <= set(schema["properties"])


def test_a_word_document_made_by_word_s_own_template(editor_client, tmp_path):
    """A .docx written with Word's styles (python-docx's default template), not by pandoc:
    title, numbered headings, a list, a table; the headings of 5.0 keep their keys."""
    import docx

    made = docx.Document()
    made.add_heading("What is the scope for organisational change?", level=0)
    made.add_heading("1 Introduction", level=1)
    made.add_paragraph("Organisational change practice is discussed here.")
    made.add_paragraph("First point", style="List Bullet")
    made.add_paragraph("Second point", style="List Bullet")
    made.add_heading("2 Key messages", level=1)
    table = made.add_table(rows=2, cols=2)
    for row, cells in enumerate([("Name", "Value"), ("a", "1")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    path = tmp_path / "word.docx"
    made.save(path)
    page = upload(editor_client, path.read_bytes(), "word.docx", change_note=NOTE)
    source = textarea(page.get_data(as_text=True))
    assert "# 1 Introduction {#introduction}" in source
    assert "# 2 Key messages {#key-messages}" in source
    assert "- First point" in source
    assert "| Name" in source and "| a" in source
    # The document's title is not the paper's: the front matter's stays.
    assert "title: What is the scope for organisational change in the public sector" in source
