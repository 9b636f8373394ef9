"""The compare page in a browser: no WCAG 2.1 A/AA violations, and changes readable
without colour."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import AXE_OPTIONS, describe
from tests.web.test_compare import SOURCE_50, URL, source_51

pytestmark = pytest.mark.browser


@pytest.fixture
def two_versions(import_paper, db):
    import_paper(SOURCE_50)
    import_paper(source_51())
    db.session.commit()  # release SQLite (see conftest.py)


@pytest.mark.parametrize(
    "path",
    [URL, URL + "?all=1", "/papers/think-paper-1/compare/5.1/5.0/",
     "/papers/think-paper-1/compare/5.1/5.1/", "/papers/think-paper-1/v/5.1/"],
)  # fmt: skip
def test_no_wcag_violations(page, two_versions, path):
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"axe found {len(violations)} violations on {path}:\n" + describe(
        violations
    )


STYLE_OF = """(selector) => {
  const element = document.querySelector(selector);
  const style = getComputedStyle(element);
  const before = getComputedStyle(element, '::before').content;
  const after = getComputedStyle(element, '::after').content;
  const label = element.querySelector('.visually-hidden');
  return {
    decoration: style.textDecorationLine,
    before: before,
    after: after,
    label: label && label.textContent.trim(),
    labelHidden: label && label.getBoundingClientRect().width <= 1,
  };
}"""


def test_insertions_and_deletions_are_marked_by_more_than_colour(page, two_versions):
    page.goto(URL)
    ins = page.evaluate(STYLE_OF, "section#introduction ins")
    deleted = page.evaluate(STYLE_OF, "section#introduction del")
    # seen: underline or strike-through, and a bracketed mark before and after
    assert "underline" in ins["decoration"]
    assert "line-through" in deleted["decoration"]
    assert "[+" in ins["before"] and "]" in ins["after"]
    assert "[−" in deleted["before"] and "]" in deleted["after"]
    # heard: a label that is in the page's text but not on screen
    assert ins["label"] == "inserted:" and ins["labelHidden"]
    assert deleted["label"] == "deleted:" and deleted["labelHidden"]
    # what each section became is said in words
    assert page.locator("section#lessons .compare-marks").inner_text().startswith("Added")
    assert "Removed" in page.locator("section#citizen-centric-delivery .compare-marks").inner_text()


def test_the_picker_works_without_script(page, two_versions):
    page.goto(URL)
    page.get_by_label("From version").select_option("5.1")
    page.get_by_label("To version").select_option("5.0")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare/5.1/5.0/")
    assert page.locator("h1").inner_text() == "Changes from version 5.1 back to version 5.0"
