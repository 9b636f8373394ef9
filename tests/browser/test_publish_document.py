"""An editor publishes a revision from a Word file: upload, correct a heading in the
preview's text box, preview again, see the diff, publish; axe on the upload preview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import PaperVersion, Role
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in
from tests.documents import NEW_HEADING, NEW_PARAGRAPH, document

pytestmark = pytest.mark.browser


def test_an_editor_publishes_a_revision_from_a_docx(page, paper, create_user, db, tmp_path):
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()
    log_in(page, editor)
    path = tmp_path / "Think Paper 1 revised.docx"
    path.write_bytes(document("docx", revised=True))

    page.goto("/editor/papers/think-paper-1/publish")
    page.get_by_label("Upload the source (.md, .docx or .odt)").set_input_files(str(path))
    page.get_by_label("Change note").fill("Key messages rewritten; the conclusion renamed.")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Preview of version 5.1")).to_be_visible()
    diff = page.get_by_role("region", name="What changed since version 5.0")
    expect(diff.get_by_role("heading", name="6 In conclusion")).to_be_visible()
    expect(diff.locator("ins").first).to_be_visible()
    no_violations(page, "the preview of an uploaded .docx")

    # The converted source is in the text box: the editor puts the old heading back.
    box = page.get_by_label("Or paste the source")
    source = box.input_value()
    assert NEW_HEADING in source and "{#introduction}" in source
    box.fill(source.replace(NEW_HEADING, "# 6 Summing up …"))
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Preview of version 5.1")).to_be_visible()
    diff = page.get_by_role("region", name="What changed since version 5.0")
    expect(diff.get_by_role("heading", name="2 Key messages")).to_be_visible()
    expect(diff.locator("ins", has_text="alone")).to_be_visible()
    expect(diff.locator("del", has_text="specifically")).to_be_visible()
    expect(diff.get_by_role("heading", name="6 In conclusion")).to_have_count(0)
    expect(diff).to_contain_text("0 sections renamed")
    no_violations(page, "the preview after a correction")

    page.get_by_role("button", name="Publish version 5.1").click()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/$"))
    expect(page.locator(".flashes")).to_contain_text("Version 5.1 of")

    db.session.rollback()
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version is not None and version.published_by_id == editor.id
    assert NEW_PARAGRAPH in version.source and "# 6 Summing up …" in version.source
    assert version.change_note == "Key messages rewritten; the conclusion renamed."
