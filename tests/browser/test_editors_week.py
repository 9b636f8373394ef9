"""An editor's week, end to end: a revised paper arrives as a Word file and becomes
version 5.1 (upload, a heading corrected in the preview, the changes seen, published);
then the unanswered suggestions on one section of 5.0 are found in the triage list and
answered together — "answered in version" already says 5.1 — and the response document
of 5.1 (whose report lists the threads of 5.0) holds the answer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import AnnotationKind, Disposition, PaperVersion, Role
from tests.browser.test_threads import log_in
from tests.documents import NEW_HEADING, document
from tests.web.test_api_annotations import open_for_comments
from tests.web.test_triage import add_threads

pytestmark = pytest.mark.browser

RESPONSE = "Taken up in 5.1: the introduction now says it plainly."


def test_from_a_word_file_to_a_response_document(page, paper, create_user, db, tmp_path):
    open_for_comments(paper, db)
    first = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    author = create_user(name="Sam Suggester")
    suggestion = {"author": author, "kind": AnnotationKind.SUGGESTION, "section": "introduction"}
    chosen = add_threads(
        db,
        first,
        [{**suggestion, "body": f"Plainer words, take {n}.", "proposed_text": f"Words {n}."}
         for n in range(3)],
    )  # fmt: skip
    add_threads(
        db,
        first,
        [
            {"author": author, "body": "A comment on the introduction."},
            {**suggestion, "section": "key-messages", "body": "Elsewhere.", "proposed_text": "X"},
        ],
    )
    editor = create_user(Role.EDITOR, name="Erin Editor")
    db.session.commit()
    log_in(page, editor)

    # A revised paper, from a .docx: one heading put back in the preview, then published.
    path = tmp_path / "Think Paper 1 revised.docx"
    path.write_bytes(document("docx", revised=True))
    page.goto("/editor/papers/think-paper-1/publish")
    page.get_by_label("Upload the source (.md, .docx or .odt)").set_input_files(str(path))
    page.get_by_label("Change note").fill("Key messages rewritten.")
    page.get_by_role("button", name="Preview").click()
    box = page.get_by_label("Or paste the source")
    box.fill(box.input_value().replace(NEW_HEADING, "# 6 Summing up …"))
    page.get_by_role("button", name="Preview").click()
    changes = page.get_by_role("region", name="What changed since version 5.0")
    expect(changes.locator("ins").first).to_be_visible()
    expect(changes.get_by_role("heading", name="6 In conclusion")).to_have_count(0)
    page.get_by_role("button", name="Publish version 5.1").click()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/$"))

    # The triage list of 5.0: the unanswered suggestions of the introduction, all three at once.
    page.goto("/editor/")
    page.get_by_role("link", name="Triage the threads of version 5.0").click()
    page.get_by_label("Section").select_option("introduction")
    page.get_by_label("Kind").select_option("suggestion")
    page.get_by_label("Answered", exact=True).select_option("no")
    page.get_by_role("button", name="Show these threads").click()
    rows = page.locator("tr[data-annotation]")
    expect(rows).to_have_count(3)
    for thread_id in chosen:
        page.get_by_label(f"Choose thread #{thread_id}").check()
    expect(page.get_by_label("Answered in version")).to_have_value("5.1")
    page.get_by_role("radio", name="Accepted — the paper changes as proposed").check()
    page.get_by_role("textbox", name="Response").fill(RESPONSE)
    page.get_by_role("button", name="Answer the chosen threads").click()
    expect(page.locator("#flashes")).to_contain_text("The answer is published on 3 threads.")
    expect(rows).to_have_count(0)

    # The response document of 5.1, as sent on: the answer is in it, for each of the three.
    page.goto("/editor/")
    page.get_by_role("link", name="Report of answers of version 5.1").click()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/responses/$"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Word (.docx) of version 5.1").click()
    document_ = docx.Document(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = "\n".join(p.text for p in document_.paragraphs)
    text += "\n".join(c.text for t in document_.tables for r in t.rows for c in r.cells)
    assert text.count(RESPONSE) == 3
    for n in range(3):
        assert f"Plainer words, take {n}." in text

    db.session.rollback()
    answers = db.session.scalars(select(Disposition).order_by(Disposition.annotation_id)).all()
    assert [a.annotation_id for a in answers] == chosen
    later = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert {a.version_id for a in answers} == {later.id}
