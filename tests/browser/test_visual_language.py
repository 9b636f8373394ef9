"""One visual language, measured in a browser at a laptop's size and a phone's: every page
family puts its content in one of the two centred columns, forms opened in place are one
box each with no slivers of border or background, the header's "Log out" looks like the
links beside it, and the moderation queue and a glossary term page pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.definitions import services as glossary
from app.models import Role, TargetKind
from app.moderation import services as moderation
from tests.browser.test_threads import assert_no_violations, log_in

pytestmark = pytest.mark.browser

VIEWPORTS = [(1366, 900), (390, 844)]
SECTION_PAGE = "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/"

# The box of the column a page puts its content in: main's first element.
COLUMN = """() => { const r = document.querySelector('main#main > *').getBoundingClientRect();
  return [Math.round(r.left), Math.round(r.width)]; }"""

# Every piece of a box drawn inside `root` (a background or a border), with its size: an
# inline box split around blocks leaves pieces; a drawn box should be one piece, not tiny.
DRAWN = """(root) => {
  const found = [];
  for (const e of [root, ...root.querySelectorAll('*')]) {
    const s = getComputedStyle(e);
    if (s.visibility === 'hidden') continue;
    const filled = s.backgroundColor !== 'rgba(0, 0, 0, 0)';
    const edged = ['Top', 'Right', 'Bottom', 'Left'].some(
      (side) => parseFloat(s[`border${side}Width`]) > 0 && s[`border${side}Style`] !== 'none');
    if (!filled && !edged) continue;
    const rects = [...e.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    found.push({what: `${e.tagName.toLowerCase()}.${e.className}`, display: s.display,
                pieces: rects.map((r) => [r.width, r.height])});
  }
  return found;
}"""


@pytest.fixture
def site(db, paper, create_user, create_annotation):
    """An admin (who sees every page family), a thread of theirs with a reply, a glossary
    term, and in the queue a long pending contribution and a flagged one."""
    admin = create_user(Role.ADMIN, name="Ada Admin")
    root = create_annotation("First words.", author=admin)
    create_annotation("A reply.", parent=root, author=create_user(name="Olga Other"))
    term, _first = glossary.create_term(
        create_user(name="Cy"), "Open data", definition="Data anyone may use."
    )
    long = " ".join(["A contribution that goes on and on, and then some more."] * 40)
    create_annotation(long, author=create_user(trusted=False, name="Newcomer"))
    flagged = create_annotation("Something others dislike.")
    moderation.flag(create_user(), TargetKind.ANNOTATION, flagged, "off_topic", "Look.")
    db.session.commit()
    return {"admin": admin, "thread": f"/annotations/{root.id}", "term": f"/glossary/{term.slug}"}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_every_page_family_shares_the_column_system_and_the_queue_folds_long_bodies(
    page, site, viewport
):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    log_in(page, site["admin"])
    narrow = ["/", "/account", "/account/contributions", site["thread"], SECTION_PAGE]
    narrow += ["/glossary/", site["term"]]
    wide = ["/moderation/", "/moderation/log", "/editor/"]
    columns = {}
    for path in narrow + wide:
        assert page.goto(path).ok, path
        columns[path] = page.evaluate(COLUMN)
    assert {path: columns[path] for path in narrow} == {path: columns["/"] for path in narrow}
    assert {path: columns[path] for path in wide} == {path: columns[wide[0]] for path in wide}
    if viewport[0] > 1000:  # the two columns differ where there is room for both
        assert columns["/"][1] < columns[wide[0]][1]
        center = viewport[0] / 2 - 8  # less half the scroll bar, if the page has one
        for left, width in (columns["/"], columns[wide[0]]):
            assert abs(left + width / 2 - center) <= 9
    assert_no_violations(page, f"{site['term']} at {viewport}")

    page.goto("/moderation/")
    assert_no_violations(page, f"the queue at {viewport}")
    body = page.locator(".mod-item__body").first
    more = page.get_by_role("button", name="Read all")
    expect(more).to_have_count(1)  # the long body only
    folded = body.bounding_box()["height"]
    assert body.evaluate("(e) => e.scrollHeight") > folded + 20
    more.click()
    expect(page.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    assert body.bounding_box()["height"] > folded + 20


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v[0]}x{v[1]}")
def test_forms_opened_in_place_are_whole_boxes_and_log_out_is_a_link(page, site, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    log_in(page, site["admin"])
    page.goto(site["thread"])
    mine = page.get_by_role("article", name="Comment by Ada Admin")
    for link, region in (
        ("Edit your contribution", "Edit your comment"),
        ("Delete your contribution", "Delete your contribution?"),
        ("Reply to Ada Admin", "Reply to Ada Admin"),
    ):
        mine.get_by_role("link", name=link).click()
        panel = page.get_by_role("region", name=region)
        expect(panel).to_be_visible()
        drawn = panel.evaluate(DRAWN)
        assert drawn[0]["what"].startswith("section.inline-form"), drawn[0]
        for box in drawn:
            assert box["display"] != "inline" or len(box["pieces"]) == 1, (region, box)
            assert all(w >= 4 and h >= 4 for w, h in box["pieces"]), (region, box)
        assert len(drawn[0]["pieces"]) == 1, drawn[0]

    logout = page.locator(".site-header").get_by_role("button", name="Log out")
    link = page.locator(".site-header").get_by_role("link", name="Your contributions")
    style = """(e) => { const s = getComputedStyle(e); return {
        background: s.backgroundColor, border: s.borderTopWidth, padding: s.padding,
        font: `${s.fontFamily} ${s.fontSize} ${s.fontWeight}`, color: s.color,
        line: s.textDecorationLine}; }"""
    form_style = logout.evaluate("(e) => getComputedStyle(e.form).backgroundColor")
    looks, like = logout.evaluate(style), link.evaluate(style)
    assert (looks["background"], looks["border"], looks["padding"], form_style) == (
        "rgba(0, 0, 0, 0)",
        "0px",
        "0px",
        "rgba(0, 0, 0, 0)",
    )
    assert {k: looks[k] for k in ("font", "color", "line")} == {
        k: like[k] for k in ("font", "color", "line")
    }
    page.goto(site["term"])
    page.locator("body").focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        if logout.evaluate("(e) => e === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached Log out")
    ring = logout.evaluate(
        "(e) => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]"
    )
    assert ring == ["solid", "3px"]
    with page.expect_navigation():
        page.keyboard.press("Enter")  # still a POST form
    expect(page.locator(".site-header").get_by_role("link", name="Log in")).to_be_visible()
