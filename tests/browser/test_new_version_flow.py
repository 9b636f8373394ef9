"""A new version end to end, in a browser: an editor publishes 5.1 after its preview; the
participant finds their comment at its new place; the compare page shows the edit; the
editor's answer appears on the thread; axe on the compare page and the response report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in
from tests.unit.test_publishing import QUOTE_KEPT, source_51

pytestmark = pytest.mark.browser

KEY = "public-sector-idiosyncrasies"


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_publish_find_compare_and_answer(page, paper, create_user, create_annotation, db):
    participant = create_user(name="Paula Participant")
    thread = create_annotation("Is this still true today?", author=participant, quote=QUOTE_KEPT)
    editor = create_user(Role.EDITOR, name="Eddie Editor")
    db.session.commit()

    # The editor previews, then publishes.
    log_in(page, editor)
    page.goto("/editor/papers/think-paper-1/publish")
    page.get_by_label("Or paste the source").fill(source_51())
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview of version 5.1")).to_be_visible()
    page.get_by_role("button", name="Publish version 5.1").click()
    expect(page).to_have_url(re.compile(r"/papers/think-paper-1/v/5\.1/$"))
    log_out(page)

    # The participant finds the comment on 5.1, where its words now stand.
    log_in(page, participant)
    page.goto("/papers/think-paper-1/")
    card = page.locator(f"#discussion-{KEY} #thread-{thread.id}")
    expect(card).to_contain_text("From version 5.0")
    expect(card).to_contain_text("Is this still true today?")
    highlight = page.locator(f"#{KEY} [data-annotations~='{thread.id}']").first
    expect(highlight).to_contain_text("bureaucracy remains essential")

    # The compare page shows the edit, marked in words as well as style.
    page.goto("/papers/think-paper-1/compare/5.0/5.1/")
    section = page.locator(f"#{KEY}")
    expect(section).to_contain_text("What sets the public sector apart")
    expect(section.locator("ins").first).to_be_visible()
    expect(section.locator("del").first).to_be_visible()
    no_violations(page, "the compare page")
    log_out(page)

    # The editor answers the thread; the participant sees the answer on it.
    log_in(page, editor)
    page.goto(f"/annotations/{thread.id}")
    page.get_by_label("Partly accepted").check()
    page.get_by_role("textbox", name="Response").fill("We kept the sentence and added a source.")
    page.get_by_label("Answered in version").select_option("5.1")
    page.get_by_role("button", name="Publish the answer").click()
    expect(page.locator("#disposition")).to_contain_text("Partly accepted")
    log_out(page)

    log_in(page, participant)
    page.goto(f"/annotations/{thread.id}")
    answer = page.locator("#disposition")
    expect(answer).to_contain_text("Partly accepted")
    expect(answer).to_contain_text("in version 5.1")
    expect(answer).to_contain_text("We kept the sentence and added a source.")

    page.goto("/papers/think-paper-1/v/5.1/responses/")
    expect(page.get_by_text("Is this still true today?")).to_be_visible()
    no_violations(page, "the response report")
