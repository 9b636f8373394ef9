"""An editor opens a version's dashboard from the editors' area, by keyboard as well, goes
on to its report of answers (the public response to comments of the next version) and
downloads it as a Word document; axe finds nothing on either page."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from app.annotations import dispositions
from app.models import AnnotationKind, Role, StakeholderType
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in
from tests.unit.test_dispositions import later_source
from tests.web.test_dashboard import _text

pytestmark = pytest.mark.browser


def test_an_editor_reads_the_dashboard_and_the_report(
    page, paper, create_user, create_annotation, db, import_paper
):
    author = create_user(name="Ada Academic", stakeholder_type=StakeholderType.ACADEMIA,
                         country="DE")  # fmt: skip
    words = _text(db)[10:40]
    thread = create_annotation("A remark worth answering.", author=author, quote=words)
    create_annotation("Is this so?", author=author, kind=AnnotationKind.QUESTION)
    create_annotation("A reply.", parent=thread)
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    dispositions.answer(editor, thread, "accepted", "Thank you: taken up.")
    db.session.commit()
    import_paper(later_source())
    log_in(page, editor)
    page.goto("/editor/")

    dashboard = page.get_by_role("link", name="Dashboard of version 5.0")
    dashboard.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/v/5.0/dashboard")
    assert page.get_by_role("img", name="Contributions per section").is_visible()
    assert page.get_by_role("img", name="Threads per 1,000 characters, section by section")
    assert page.locator('[data-figure="unanswered"]').inner_text() == "1"
    no_violations(page, "the dashboard of a version")

    page.get_by_role("link", name="The report of answers, with version 5.1").click()
    page.wait_for_url("**/v/5.1/responses/")
    assert page.get_by_text("Thank you: taken up.").is_visible()
    no_violations(page, "the report of answers")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Word (.docx)").click()
    download = download_info.value
    assert download.suggested_filename == "think-paper-1-5.1-responses.docx"
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "A remark worth answering." in text and "Thank you: taken up." in text
