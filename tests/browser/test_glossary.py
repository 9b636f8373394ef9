"""The glossary in a browser: axe finds no WCAG 2.1 A/AA violation on the list of terms or on
a term's page with everything it can show (an adopted definition, its history, open
proposals and their discussions), whether a participant or an editor looks; and a vote
cast with the keyboard."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.definitions import services
from app.models import Role
from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.browser.test_threads import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def glossary(db, create_user):
    """Two terms; "Open data" with an adopted definition, an earlier one, two open
    proposals, comments and a reply, and a third term awaiting a first proposal."""
    ada, bea, cy = (create_user(name=n) for n in ("Ada", "Bea", "Cy"))
    editor = create_user(Role.EDITOR, name="Edna Editor")
    term, first = services.create_term(
        ada, "Open data", definition="Data anyone may use.", rationale="Open Definition."
    )
    services.set_aliases(editor, term, ["open datasets"])
    services.adopt(editor, first)
    second = services.propose(bea, term, "Data anyone may *use and share*.", "Broader.")
    services.adopt(editor, second, "Data anyone may **use, change and share**.")
    comments = []
    for author, text in ((cy, "Data published under an open licence."), (ada, "Free data.")):
        proposal = services.propose(author, term, text, "Because.")
        comments.append(services.comment(bea, proposal, "Is *licence* enough?"))
        services.comment(cy if author is not cy else ada, proposal, "Yes.", parent=comments[-1])
    services.vote(bea, proposal, "support")
    services.comment(cy, second, "Good wording.")
    services.create_term(cy, "Civic tech")
    db.session.commit()
    reply = f"/glossary/open-data?reply={comments[0].id}#comment-form-{comments[0].proposal_id}"
    return {"participant": bea, "editor": editor, "author": cy, "reply": reply}


def assert_no_violations(page, what: str) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, f"axe found {len(violations)} violations on {what}:\n" + describe(
        violations
    )


def test_the_glossary_list_has_no_wcag_violations(page, glossary):
    response = page.goto("/glossary/")
    assert response is not None and response.ok
    expect(page.get_by_role("link", name="Open data")).to_be_visible()
    assert_no_violations(page, "/glossary/ (anonymous)")


@pytest.mark.parametrize("who", ["participant", "editor"])
def test_a_term_page_has_no_wcag_violations(page, glossary, who):
    log_in(page, glossary[who])
    page.goto("/glossary/")
    assert_no_violations(page, f"/glossary/ ({who})")
    response = page.goto("/glossary/open-data")
    assert response is not None and response.ok
    expect(page.get_by_role("heading", name="Earlier definitions")).to_be_visible()
    if who == "editor":
        page.get_by_text("Adopt the proposal by Cy", exact=True).click()  # the editors' form
        proposal = page.get_by_role("article", name="Proposal by Cy")
        expect(proposal.get_by_label("Adopted wording (optional)")).to_be_visible()
    assert_no_violations(page, f"/glossary/open-data ({who})")
    page.goto(glossary["reply"])
    expect(page.get_by_text("Replying to Bea.")).to_be_visible()
    assert_no_violations(page, f"/glossary/open-data?reply ({who})")


def test_a_participant_votes_with_the_keyboard(page, glossary):
    log_in(page, glossary["participant"])
    page.goto("/glossary/open-data")
    button = page.get_by_role("button", name="Support the proposal by Cy")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("You support this proposal.")
    proposal = page.get_by_role("article", name="Proposal by Cy")
    expect(proposal.get_by_text("Your vote: support")).to_be_visible()
    expect(proposal.get_by_text("Support: 1")).to_be_visible()
