"""The "Your contributions" page as a person uses it: readable on a phone and free of axe
violations, with items in several states (awaiting review, hidden with a reason,
answered by the editors, adopted)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.annotations import dispositions
from app.definitions import services as glossary
from app.models import ModerationAction, Role
from app.moderation import services as moderation
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def contributor(db, create_user, create_annotation):
    """A participant with a thread of each kind of fate, a reply, a proposal and a vote."""
    me = create_user(trusted=False, name="Mia Mine")
    create_annotation("Still awaiting a moderator.", author=me)
    me.trusted = True
    db.session.commit()
    moderator = create_user(Role.MODERATOR)
    editor = create_user(Role.EDITOR)
    hidden = create_annotation("Hidden words.", author=me)
    moderation.decide(
        moderator, moderation.parse_target("annotation", hidden.id), ModerationAction.HIDE,
        "Personal data of someone else.",
    )  # fmt: skip
    answered = create_annotation("Answered words.", author=me)
    dispositions.answer(editor, answered, "partly_accepted", "Some of it, in 5.1.")
    create_annotation("A reply.", author=me, parent=answered)
    term, proposal = glossary.create_term(me, "Open data", definition="Data anyone may use.")
    glossary.adopt(editor, proposal)
    theirs = glossary.propose(create_user(), term, "Another view.")
    glossary.vote(me, theirs, "support")
    db.session.commit()
    return me


@pytest.mark.parametrize("width", [1280, 390])
def test_the_contributions_page_fits_and_has_no_axe_violations(page, contributor, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login?next=/account/contributions")
    page.get_by_label("E-mail address").fill(contributor.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/account/contributions")
    items = page.locator("ol.contribution-list > li")
    assert items.count() == 6
    assert page.get_by_text("awaiting review").is_visible()
    assert page.get_by_text("Personal data of someone else.").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe(violations)
