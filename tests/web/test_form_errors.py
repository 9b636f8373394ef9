"""A form that comes back with errors, as a screen reader and a keyboard meet it: each error
tied to its field (`aria-describedby`, `aria-invalid`), a summary above the form that is an
alert and links to each field in error, and the focus on the first of them (`autofocus`,
once on the page), all without a script."""

from __future__ import annotations

from bs4 import BeautifulSoup

SECTION_PAGE = "/papers/think-paper-1/v/5.0/sections/public-sector-idiosyncrasies/"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def invalid_names(soup: BeautifulSoup) -> list[str]:
    """The names of the form's fields marked invalid, in the order of the page."""
    return list(dict.fromkeys(e["name"] for e in soup.select("form [aria-invalid=true][name]")))


def check_errors_tied_and_summarised(soup: BeautifulSoup, names: list[str]) -> None:
    """Every named field is invalid and described by its error; the summary links to each
    and to nothing else; the first alone has the focus."""
    assert invalid_names(soup) == names
    for name in names:
        control = soup.select_one(f'form [name="{name}"]')
        assert control.get("aria-invalid") == "true", name
        error = soup.select_one(f"#{control['id']}-error")
        assert error is not None and error.get_text(strip=True), name
        assert f"{control['id']}-error" in control["aria-describedby"].split(), name
    summary = soup.select_one(".form-errors[role=alert]")
    assert summary is not None
    links = [a["href"] for a in summary.select("a")]
    ids = [soup.select_one(f'form [name="{name}"]')["id"] for name in names]
    assert sorted(links) == sorted(f"#{i}" for i in ids)
    for link in summary.select("a"):
        target = soup.select_one(link["href"])
        assert target is not None and target.get("aria-invalid") == "true"
    focused = soup.select("[autofocus]")
    assert [e["id"] for e in focused] == [ids[0]]


def test_registration_with_bad_input_ties_summarises_and_focuses_its_errors(client):
    response = client.post(
        "/register",
        data={"email": "reader@example.org", "display_name": "", "password": "short",
              "confirm": "other", "stakeholder_type": "individual"},
    )  # fmt: skip
    assert response.status_code in (200, 422)
    soup = soup_of(response)
    names = invalid_names(soup)
    assert {"display_name", "password", "terms"} <= set(names)
    check_errors_tied_and_summarised(soup, names)
    summary = soup.select_one(".form-errors[role=alert]").get_text(" ", strip=True)
    assert "Please correct the marked fields." in summary
    assert "Display name:" in summary


def test_a_valid_form_has_no_summary_and_no_autofocus(client):
    soup = soup_of(client.get("/register"))
    assert soup.select_one(".form-errors") is None
    assert soup.select("[autofocus]") == []
    assert soup.select("[aria-invalid]") == []


def test_an_annotation_with_bad_input_ties_summarises_and_focuses_its_errors(
    client, create_user, logged_in, paper
):
    logged_in(create_user())
    response = client.post(SECTION_PAGE, data={"kind": "comment", "body": ""})
    assert response.status_code == 422
    soup = soup_of(response)
    check_errors_tied_and_summarised(soup, ["body"])
    assert soup.select_one("#new-thread .form-errors[role=alert] a[href='#body']")
