"""The report of answers as word-processor files: `responses.docx` and `responses.odt`,
made by pandoc from the same report as the public page (the threads on the previous
version with the editors' answers), public like it. The .docx reopens with python-docx and
holds the answers, the .odt is a zip whose content.xml holds them, hostile words break
neither, and the number of queries does not grow with the threads.
"""

from __future__ import annotations

import io
import json
import zipfile
from xml.etree import ElementTree

import docx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.annotations import dispositions, services
from app.models import Annotation, PaperVersion, Role, Section
from app.models.annotation import AnnotationStatus
from tests.conftest import DATA
from tests.unit.test_dispositions import later_source

BASE = "/papers/think-paper-1/v/5.1/responses"
KEY = "public-sector-idiosyncrasies"
BLNS = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"


@pytest.fixture
def editor(create_user):
    return create_user(Role.EDITOR, name="Edith Editor")


@pytest.fixture
def discussion(db, paper, create_user, create_annotation, editor, import_paper):
    """On 5.0: an answered thread, an unanswered question and a pending thread; then 5.1."""
    author = create_user(name="Ada Academic")
    first = create_annotation("First remark on the passage.", author=author)
    question = create_annotation("A question on the whole section?", author=author)
    create_annotation("Waiting for a moderator.", author=author).status = AnnotationStatus.PENDING
    dispositions.answer(editor, first, "partly_accepted", "We rewrote the passage.")
    db.session.commit()
    import_paper(later_source())
    return {"first": first, "question": question}


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def odt_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.read("mimetype") == ODT.encode()
        content = archive.read("content.xml").decode("utf-8")
    return "".join(ElementTree.fromstring(content).itertext())


def test_the_page_links_to_both_documents(client, discussion):
    soup = BeautifulSoup(client.get(BASE + "/").get_data(as_text=True), "html.parser")
    for fmt, name in (("docx", "Word (.docx)"), ("odt", "OpenDocument (.odt)")):
        link = soup.find("a", href=f"{BASE}.{fmt}")
        assert link is not None and link.get_text(" ", strip=True) == f"{name} of version 5.1"


def test_the_report_as_word_and_opendocument_for_anyone(client, discussion):
    response = client.get(BASE + ".docx")
    assert response.status_code == 200 and response.mimetype == DOCX
    assert 'filename="think-paper-1-5.1-responses.docx"' in response.headers["Content-Disposition"]
    text = docx_text(response.get_data())
    for words in ("Response to comments", "version 5.1", "version 5.0",
                  "First remark on the passage.", "We rewrote the passage.", "Partly accepted",
                  "Ada Academic", "Edith Editor", "A question on the whole section?",
                  "No answer yet"):  # fmt: skip
        assert words in text, words
    assert "Waiting for a moderator." not in text

    response = client.get(BASE + ".odt")
    assert response.status_code == 200 and response.mimetype == ODT
    text = odt_text(response.get_data())
    for words in ("First remark on the passage.", "We rewrote the passage.", "Partly accepted"):
        assert words in text, words
    assert "Waiting for a moderator." not in text


def test_the_first_version_and_unknown_ones(client, paper):
    text = docx_text(client.get("/papers/think-paper-1/v/5.0/responses.docx").get_data())
    assert "no previous version" in text
    assert client.get("/papers/think-paper-1/v/9.9/responses.odt").status_code == 404
    assert client.get("/papers/nope/v/5.0/responses.docx").status_code == 404


def test_hostile_words_break_no_document(client, paper, db, create_user, editor, import_paper):
    author = create_user(name='=HYPERLINK("http://evil") <b>', country="DE")
    strings = [s for s in BLNS if s.strip() and "\x00" not in s]
    strings += ["<script>alert(1)</script>", "# not a heading", "$$\\input{/etc/passwd}$$",
                "<img src=x onerror=alert(1)>", "\x01\x0b control \x1f", "=1+1", "@SUM(A1)",
                "![x](file:///etc/passwd)", "```\ncode\n```", "| a | b |\n|---|---|"]  # fmt: skip
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.0"))
    section = db.session.scalar(
        select(Section).where(Section.version_id == version.id, Section.key == KEY)
    )
    roots = []
    for n in range(0, len(strings), 2):
        root = services.create_thread(author, paper, version, section, strings[n])
        roots.append((root, strings[n + 1] if n + 1 < len(strings) else "Noted."))
    db.session.flush()
    for root, response in roots:
        dispositions.answer(editor, root, "noted", response)
    db.session.commit()
    import_paper(later_source())

    for fmt, read in (("docx", docx_text), ("odt", odt_text)):
        response = client.get(f"{BASE}.{fmt}")
        assert response.status_code == 200, fmt
        text = read(response.get_data())
        assert "<script>alert(1)</script>" in text  # the words, as text
        assert "=1+1" in text


@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_queries_do_not_grow_with_threads(
    client, create_annotation, editor, paper, db, import_paper, count_queries, fmt
):
    threads = [create_annotation(f"Thread {i}") for i in range(10)]
    ids = [t.id for t in threads]
    for i, thread in enumerate(threads):
        dispositions.answer(editor, thread, "noted", f"Answer {i}.")
        if i >= 2:
            thread.status = AnnotationStatus.PENDING
    db.session.commit()
    import_paper(later_source())
    client.get(f"{BASE}.{fmt}")  # warm: the session's first use is recorded

    def measure() -> tuple[int, str]:
        db.session.expunge_all()
        with count_queries() as counter:
            response = client.get(f"{BASE}.{fmt}")
        assert response.status_code == 200
        read = docx_text if fmt == "docx" else odt_text
        return counter.count, read(response.get_data())

    few, text = measure()
    assert "Answer 1." in text and "Answer 9." not in text
    db.session.execute(
        update(Annotation).where(Annotation.id.in_(ids)).values(status=AnnotationStatus.PUBLISHED)
    )
    db.session.commit()
    many, text = measure()
    assert "Answer 9." in text
    assert many == few, (few, many)
