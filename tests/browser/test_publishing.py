"""An editor publishes version 5.1 in a browser: paste, preview, publish; axe on the way."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from app.models import Anchor, PaperVersion, Role
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_threads import log_in
from tests.unit.test_publishing import QUOTE_KEPT, source_51

pytestmark = pytest.mark.browser


def no_violations(page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe found {len(violations)} on {what}:\n" + describe(violations)


def test_an_editor_publishes_5_1_after_its_preview(page, paper, create_user, create_annotation, db):
    thread = create_annotation("Still true?", quote=QUOTE_KEPT)
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()
    log_in(page, editor)

    page.goto("/editor/")
    page.get_by_role("link", name="Publish a new version").first.click()
    expect(page.get_by_role("heading", name="Publish a new version", level=1)).to_be_visible()
    no_violations(page, "the publish form")

    page.get_by_label("Or paste the source").fill(source_51())
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview of version 5.1")).to_be_visible()
    expect(page.get_by_role("cell", name="renamed, changed")).to_be_visible()
    expect(page.get_by_role("link", name=f"Thread {thread.id}")).to_be_visible()
    no_violations(page, "the preview page")

    page.get_by_role("button", name="Publish version 5.1").click()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/$"))
    expect(page.locator(".flashes")).to_contain_text("Version 5.1 of")

    db.session.rollback()
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.label == "5.1"))
    assert version is not None and version.published_by_id == editor.id
    anchor = db.session.scalar(select(Anchor).where(Anchor.version_id == version.id))
    assert anchor is not None and anchor.annotation_id == thread.id


def test_the_preview_of_a_source_with_an_error_has_no_violations(page, paper, create_user, db):
    editor = create_user(Role.EDITOR)
    db.session.commit()
    log_in(page, editor)
    page.goto("/editor/papers/think-paper-1/publish")
    text = source_51(**{"Organisational change practice": "Organisational[^99] change practice"})
    page.get_by_label("Or paste the source").fill(text)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="The source cannot be published")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("[^99]")
    no_violations(page, "the preview with errors")
