"""Reading pages: the home page, a paper, a version, and what they cost in queries."""

import re

from bs4 import BeautifulSoup

from app.models.base import utcnow


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_home_lists_the_paper_with_version_and_comment_period(client, paper):
    soup = page(client, "/")
    card = soup.select_one(".paper-card")
    link = card.find("a")
    assert link["href"] == "/papers/think-paper-1/"
    assert link.get_text() == (
        "Think Paper 1: What is the scope for organisational change in the public sector in Europe?"
    )
    text = card.get_text(" ", strip=True)
    assert "5.0, 24 October 2006" in text
    assert "Open for comments until 30 June 2027" in text


def test_paper_page_shows_the_latest_version_with_sections_notes_and_acknowledgement(client, paper):
    soup = page(client, "/papers/think-paper-1/")
    assert (
        soup.h1.get_text()
        == "What is the scope for organisational change in the public sector in Europe?"
    )
    header = soup.select_one(".paper-header").get_text(" ", strip=True)
    for expected in ("Kerstin Junge, Johnny Kelleher, Kari Hadjivassiliou", "24 October 2006",
                     "5.0", "The Tavistock Institute", "Trond-Arne Undheim"):  # fmt: skip
        assert expected in header
    ids = [s["id"] for s in soup.select("section.paper-section")]
    assert ids[:3] == ["preamble", "introduction", "key-messages"]
    assert "public-sector-idiosyncrasies" in ids
    heading = soup.select_one("#public-sector-idiosyncrasies h3")
    assert heading.get_text(" ", strip=True) == "3.2 Public sector idiosyncrasies …"
    # footnotes link both ways
    ref = soup.select_one("#public-sector-idiosyncrasies .fnref a#fnref-4")
    assert ref["href"] == "#fn-4"
    note = soup.select_one("#public-sector-idiosyncrasies li#fn-4")
    assert note.select_one("a.note__back")["href"] == "#fnref-4"
    assert "Claver, E. (1999)" in note.get_text()
    footer = soup.select_one("#acknowledgement").get_text(" ", strip=True)
    assert "Reproduction is authorized, provided the source" in footer


def test_the_contents_nest_subsections_and_link_to_section_ids(client, paper):
    soup = page(client, "/papers/think-paper-1/")
    toc = soup.select_one("nav.toc")
    assert toc.h2.get_text() == "Contents"
    top = toc.select(":scope ol > li")
    assert len([li for li in toc.find("ol").find_all("li", recursive=False)]) == 6
    sub = [a["href"] for a in toc.select("ol ol a")]
    assert sub == [
        "#what-is-organisational-change",
        "#public-sector-idiosyncrasies",
        "#pressure-for-perpetual-change",
        "#approaches-to-modernisation",
    ]
    assert top


def test_section_text_element_holds_exactly_the_stored_html(client, paper, db):
    from sqlalchemy import select

    from app.models import Section

    html = client.get("/papers/think-paper-1/").get_data(as_text=True)
    section = db.session.scalar(select(Section).where(Section.key == "key-messages"))
    assert f'data-section="key-messages">{section.html}</div>' in html


def test_version_url_is_the_same_page_and_unknown_versions_are_404(client, paper):
    latest = page(client, "/papers/think-paper-1/").main
    version = page(client, "/papers/think-paper-1/v/5.0/").main
    assert latest == version
    assert client.get("/papers/think-paper-1/v/9.9/").status_code == 404
    assert client.get("/papers/nope/").status_code == 404


def test_an_older_version_points_to_the_latest(client, paper, import_paper):
    from tests.unit.test_paper_import import SOURCE, next_version

    import_paper(next_version(SOURCE, "5.1"))
    soup = page(client, "/papers/think-paper-1/v/5.0/")
    banner = soup.select_one(".banner")
    assert "You are reading version 5.0." in banner.get_text()
    assert banner.a["href"] == "/papers/think-paper-1/"
    assert page(client, "/papers/think-paper-1/").select_one(".banner") is None


def test_pages_ask_no_other_host_for_anything(client, paper):
    html = client.get("/papers/think-paper-1/").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
        for element in soup.find_all(tag):
            value = element.get(attr)
            if value and element.get("rel") != ["canonical"]:
                assert value.startswith("/"), value
    response = client.get("/static/css/site.css")
    css = response.get_data(as_text=True)
    response.close()
    assert not re.search(r"url\(|@import|https?://", css)
    csp = client.get("/papers/think-paper-1/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp


def test_the_paper_page_costs_a_constant_small_number_of_queries(
    client, paper, import_paper, count_queries, create_user, logged_in
):
    with count_queries() as one_version:
        client.get("/papers/think-paper-1/")
    from tests.unit.test_paper_import import SOURCE, next_version

    for label in ("5.1", "5.2", "5.3"):
        import_paper(next_version(SOURCE, label))
    with count_queries() as four_versions:
        client.get("/papers/think-paper-1/v/5.0/")
    # 4, 1 for the glossary terms and 1 for the counters the kept pages are keyed on
    assert one_version.count == four_versions.count <= 6
    logged_in(create_user())
    with count_queries() as signed_in:
        client.get("/papers/think-paper-1/")
    # The reader's account, the bell's unread count, the reader's follows of the paper and
    # its sections, and whether the reader sees the discussion as anyone does, so that the
    # margin kept for the page revision serves them too (one query each).
    assert signed_in.count <= one_version.count + 4


def test_comment_period_states_read_in_words(client, paper, db):
    from datetime import timedelta

    today = utcnow().date()
    paper.comment_opens, paper.comment_closes = today + timedelta(days=3), None
    db.session.commit()
    assert "Comments open on" in page(client, "/").get_text()
    paper.comment_opens, paper.comment_closes = None, today - timedelta(days=1)
    db.session.commit()
    assert "Comments closed on" in page(client, "/").get_text()


def test_home_without_papers_says_so(client):
    assert "No paper has been published yet." in page(client, "/").get_text()


def test_terms_of_participation_page(client):
    assert page(client, "/terms").h1.get_text() == "Terms of participation"


def _add_threads(db, paper, author, count: int, only: str | None = None) -> None:
    """`count` published threads, a third on the whole section and the rest on passages,
    spread over the sections, each with a reply: rows in bulk (the services' rules are not
    what is measured here)."""
    from sqlalchemy import insert, select

    from app.core.anchoring import block_spans
    from app.models import Annotation, PaperVersion, Section
    from app.models.annotation import AnnotationKind, AnnotationStatus, TargetType

    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))
    sections = [
        s
        for s in db.session.scalars(select(Section).where(Section.version_id == version.id))
        if block_spans(s.text) and only in (None, s.key)
    ]
    rows = []
    for n in range(count):
        section = sections[n % len(sections)]
        start, end = block_spans(section.text)[0]
        row = {
            "paper_id": paper.id,
            "version_id": version.id,
            "section_key": section.key,
            "author_id": author.id,
            "kind": AnnotationKind.COMMENT,
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": f"Thread {n}.",
            "body_html": f"<p>Thread {n}.</p>",
            "depth": 0,
        }
        if n % 3:
            end = min(end, start + 12)
            row.update(
                target=TargetType.PASSAGE,
                quote_exact=section.text[start:end],
                quote_start=start,
                quote_end=end,
            )
        rows.append(row)
    db.session.execute(insert(Annotation), rows)
    roots = db.session.execute(
        select(Annotation.id, Annotation.section_key).where(
            Annotation.version_id == version.id,
            Annotation.parent_id.is_(None),
            Annotation.body.like("Thread %"),
        )
    ).all()
    replies = [
        {
            "paper_id": paper.id,
            "version_id": version.id,
            "section_key": key,
            "author_id": author.id,
            "parent_id": root_id,
            "root_id": root_id,
            "kind": AnnotationKind.COMMENT,
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": "A reply.",
            "body_html": "<p>A reply.</p>",
            "depth": 1,
        }
        for root_id, key in roots[-count:]
    ]
    db.session.execute(insert(Annotation), replies)
    db.session.commit()


def test_the_signed_in_paper_page_costs_the_same_queries_with_3_or_60_threads(
    client, db, paper, create_user, logged_in, count_queries
):
    """Counts, the margin's first threads and the passages drawn: as many queries for a
    long discussion as for a short one, and a page that does not grow with it."""
    reader = create_user()
    logged_in(reader)
    sizes, counts = [], []
    for more in (3, 57):
        _add_threads(db, paper, create_user(), more)
        with count_queries() as counter:
            response = client.get("/papers/think-paper-1/")
        assert response.status_code == 200
        counts.append(counter.count)
        sizes.append(len(response.get_data()))
    assert counts[0] == counts[1], counts
    # More cards are drawn (at most three a section), but nothing per thread beyond them.
    assert sizes[1] < sizes[0] + 40_000, sizes


def test_the_section_page_lists_fifty_threads_a_page_with_links_to_the_others(
    client, db, paper, create_user
):
    key = "public-sector-idiosyncrasies"
    url = f"/papers/think-paper-1/v/5.0/sections/{key}/"
    _add_threads(db, paper, create_user(), 55, only=key)
    first = page(client, url)
    assert len(first.select(".thread-list .thread-card")) == 50
    assert first.select_one("#threads-title").get_text(strip=True) == "55 threads"
    assert first.select_one('.pager a[rel="prev"]') is None
    assert first.select_one('.pager a[rel="next"]')["href"] == f"{url}?page=2"
    second = page(client, first.select_one('.pager a[rel="next"]')["href"])
    cards = second.select(".thread-list .thread-card")
    assert len(cards) == 5
    assert second.select_one('.pager a[rel="next"]') is None
    assert second.select_one('.pager a[rel="prev"]')["href"] == f"{url}?page=1"
    # A thread on a later page is still a link away: its own page.
    later = cards[0]["data-annotation"]
    assert cards[0].select_one(".thread-card__footer a")["href"] == f"/annotations/{later}"
    assert client.get(f"/annotations/{later}").status_code == 200
    # The reader's order and kind come along from page to page; no page past the last.
    newest = page(client, f"{url}?sort=newest&kind=comment")
    assert newest.select_one('.pager a[rel="next"]')["href"] == (
        f"{url}?sort=newest&kind=comment&page=2"
    )
    assert client.get(f"{url}?page=3").status_code == 404
    assert page(client, f"{url}?page=x").select(".thread-list .thread-card")
