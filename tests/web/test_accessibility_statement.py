"""The accessibility statement: the parts the EU model statement asks for, its contact and
monitoring body taken from the configuration, and a link to it in every page's footer."""

from __future__ import annotations

from bs4 import BeautifulSoup


def statement(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_statement_has_the_parts_of_the_model(client):
    soup = statement(client)
    assert soup.h1.get_text() == "Accessibility statement"
    headings = [h.get_text() for h in soup.select("main h2")]
    assert headings == [
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
        "Feedback and contact information",
        "Enforcement procedure",
    ]
    text = soup.main.get_text(" ", strip=True)
    for expected in ("WCAG) 2.1 at level AA", "EN 301 549", "partially compliant", "axe",
                     "dark colour scheme", "keyboard", "screen reader", "PDF",
                     "prepared on 5 December 2026"):  # fmt: skip
        assert expected in text, expected


def test_the_contact_defaults_to_the_mail_sender_and_the_monitoring_body_is_configured(app, client):
    app.config["MAIL_DEFAULT_SENDER"] = "Commons <team@commons.example.org>"
    soup = statement(client)
    assert soup.select_one('main a[href="mailto:team@commons.example.org"]')
    assert "Monitoring body" not in soup.main.get_text()

    app.config["ACCESSIBILITY_CONTACT"] = "access@commons.example.org"
    app.config["ACCESSIBILITY_ENFORCEMENT_BODY"] = "The Equality Ombudsman"
    app.config["ACCESSIBILITY_ENFORCEMENT_URL"] = "https://ombudsman.example.eu/complaints"
    soup = statement(client)
    assert soup.select_one('main a[href="mailto:access@commons.example.org"]')
    body = soup.select_one('main a[href="https://ombudsman.example.eu/complaints"]')
    assert body.get_text() == "The Equality Ombudsman"


def test_a_monitoring_body_address_that_is_not_http_is_no_link(app, client):
    app.config["ACCESSIBILITY_ENFORCEMENT_BODY"] = "The Ombudsman"
    app.config["ACCESSIBILITY_ENFORCEMENT_URL"] = "javascript:alert(1)"
    app.config["ACCESSIBILITY_STATEMENT_DATE"] = "not a date"
    soup = statement(client)
    assert not soup.select_one('main a[href^="javascript"]')
    assert "The Ombudsman" in soup.main.get_text()
    assert "prepared on" not in soup.main.get_text()


def test_every_page_links_to_the_statement_from_its_footer(client, paper):
    for url in ("/", "/papers/think-paper-1/", "/terms", "/login", "/accessibility"):
        soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
        link = soup.select_one('footer a[href="/accessibility"]')
        assert link is not None and link.get_text() == "Accessibility", url
