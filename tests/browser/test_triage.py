"""An editor triages a version's threads with the keyboard and no script of the page's own:
filters to the unanswered suggestions of one section, chooses three, answers them together;
axe finds nothing on the list, with its campaigns, nor on the refused form."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app.editor import campaigns
from app.models import AnnotationKind, Disposition, PaperVersion, Role, StakeholderType
from tests.browser.test_publishing import no_violations
from tests.browser.test_threads import log_in
from tests.unit.test_campaigns import variant
from tests.web.test_api_annotations import open_for_comments
from tests.web.test_triage import add_threads

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_campaigns():
    campaigns.forget()
    yield
    campaigns.forget()


def test_an_editor_answers_three_unanswered_suggestions_of_one_section_together(
    page, paper, create_user, db
):
    open_for_comments(paper, db)
    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    author = create_user(name="Sam Suggester", stakeholder_type=StakeholderType.CIVIL_SOCIETY,
                         country="IE")  # fmt: skip
    suggestion = {"author": author, "kind": AnnotationKind.SUGGESTION, "section": "introduction"}
    chosen = add_threads(
        db,
        version,
        [{**suggestion, "body": f"Plainer words, take {n}.", "proposed_text": f"Words {n}."}
         for n in range(3)],
    )  # fmt: skip
    others = add_threads(
        db,
        version,
        [
            {"author": author, "body": "A comment on the introduction."},
            {**suggestion, "section": "key-messages", "body": "Elsewhere.", "proposed_text": "X"},
        ],
    )
    rng = random.Random(4)
    copies = add_threads(db, version, [{"author": create_user(), "body": variant(rng, n)}
                                       for n in range(4)])  # fmt: skip
    editor = create_user(Role.EDITOR, name="Erin Editor")
    db.session.commit()

    log_in(page, editor)
    page.goto("/editor/")
    page.get_by_role("link", name="Triage the threads of version 5.0").click()
    page.wait_for_url("**/editor/papers/think-paper-1/v/5.0/threads")
    assert page.locator("tr.triage__campaign").count() == 1
    assert page.locator("tr[data-annotation]").count() == len(chosen) + len(others)
    page.locator("tr.triage__campaign summary").click()
    assert page.locator("tr.triage__campaign details a").count() == len(copies)
    no_violations(page, "the triage list with a campaign")

    # Filters, from the keyboard.
    page.get_by_label("Section").select_option("introduction")
    page.get_by_label("Kind").select_option("suggestion")
    page.get_by_label("Answered", exact=True).select_option("no")
    page.get_by_role("button", name="Show these threads").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/threads?section=introduction&kind=suggestion&answered=no&*")
    rows = page.locator("tr[data-annotation]")
    assert sorted(int(rows.nth(i).get_attribute("data-annotation")) for i in range(3)) == chosen
    assert rows.count() == 3

    # Without an outcome the form is refused, and keeps the choice.
    for thread_id in chosen:
        page.get_by_label(f"Choose thread #{thread_id}").check()
    page.get_by_role("button", name="Answer the chosen threads").click()
    assert page.get_by_role("alert").count() == 1
    assert page.locator("input[name=threads]:checked").count() == 3
    no_violations(page, "the refused answer form")

    page.get_by_role("radio", name="Accepted — the paper changes as proposed").check()
    page.get_by_role("textbox", name="Response").fill("The introduction is **plainer** in 5.1.")
    page.get_by_role("button", name="Answer the chosen threads").press("Enter")
    page.wait_for_url("**/threads?section=introduction&kind=suggestion&answered=no")
    assert "The answer is published on 3 threads." in page.locator("#flashes").inner_text()
    assert page.locator("tr[data-annotation]").count() == 0
    no_violations(page, "the triage list with nothing left to answer")

    db.session.rollback()
    answered = sorted(db.session.scalars(select(Disposition.annotation_id)))
    assert answered == chosen
