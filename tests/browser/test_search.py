"""The search page in a browser: axe finds no WCAG 2.1 A/AA violation on a page of results
with filters chosen and page links, nor on a page whose filter was refused; the header's
search box leads there with the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import AnnotationKind, StakeholderType
from app.search.queries import PER_PAGE
from tests.browser.test_glossary import assert_no_violations
from tests.web.test_api_annotations import open_for_comments

pytestmark = pytest.mark.browser


@pytest.fixture
def discussion(db, paper, create_user, create_annotation):
    open_for_comments(paper, db)
    ann = create_user(name="Ann Academic", stakeholder_type=StakeholderType.ACADEMIA)
    for n in range(PER_PAGE + 3):
        create_annotation(
            f"Is <b>organisational</b> change a question of culture ({n})?",
            author=ann,
            kind=AnnotationKind.QUESTION,
        )
    db.session.commit()


def test_a_page_of_results_with_filters_has_no_wcag_violations(page, discussion):
    query = "/search?q=organisational+change&type=annotation&kind=question&stakeholder=academia"
    response = page.goto(query)
    assert response is not None and response.ok
    expect(page.get_by_role("status").filter(has_text=f"{PER_PAGE + 3} results")).to_be_visible()
    expect(page.get_by_label("Kind of contribution")).to_have_value("question")
    expect(page.get_by_role("navigation", name="Result pages")).to_be_visible()
    assert page.locator(".search-result mark").count() >= PER_PAGE
    assert_no_violations(page, query)

    page.get_by_role("link", name="2", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="page 2 of 2")).to_be_visible()
    assert_no_violations(page, query + "&page=2")


def test_a_refused_filter_and_an_empty_search_have_no_wcag_violations(page, discussion):
    response = page.goto("/search?q=culture&stakeholder=pirates")
    assert response is not None and response.status == 400
    expect(page.get_by_text("Not a valid choice")).to_be_visible()
    assert_no_violations(page, "/search with a refused filter")
    page.goto("/search?q=xylophonic")
    expect(page.get_by_role("status").filter(has_text="Nothing found")).to_be_visible()
    assert_no_violations(page, "/search without results")


def test_the_header_box_searches_from_any_page(page, discussion):
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search papers, comments and definitions")
    box.fill("culture")
    box.press("Enter")
    assert page.url.endswith("/search?q=culture")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    expect(page.get_by_label("Search for")).to_have_value("culture")
    assert_no_violations(page, "/search?q=culture and the header")
