"""The JSON API for papers: lists, a paper, a version with its sections' text."""

import pytest

from app.core.markdown import html_to_text


def test_papers_list(client, paper):
    body = client.get("/api/v1/papers").get_json()
    assert body["total"] == 1 and body["next"] is None
    item = body["items"][0]
    assert item["slug"] == "think-paper-1"
    assert item["title"].startswith("What is the scope")
    assert item["number"] == 1 and item["latest_version"] == "5.0"


def test_papers_list_pages_with_limit_and_cursor(client, import_paper):
    from tests.unit.test_paper_import import SOURCE

    for slug in ("paper-a", "paper-b", "paper-c"):
        import_paper(SOURCE, slug=slug)
    first = client.get("/api/v1/papers?limit=2").get_json()
    assert [i["slug"] for i in first["items"]] == ["paper-a", "paper-b"]
    assert first["total"] == 3 and first["next"]
    second = client.get(first["next"]).get_json()
    assert [i["slug"] for i in second["items"]] == ["paper-c"]
    assert second["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "after=x", "limit=-1"])
def test_bad_list_parameters_get_a_400_naming_the_field(client, query):
    response = client.get(f"/api/v1/papers?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameters"
    assert set(error["fields"]) <= {"limit", "after"} and error["fields"]


def test_paper_detail_lists_versions(client, paper):
    body = client.get("/api/v1/papers/think-paper-1").get_json()
    assert body["slug"] == "think-paper-1"
    assert body["authors"] == ["Kerstin Junge", "Johnny Kelleher", "Kari Hadjivassiliou"]
    assert body["latest_version"] == "5.0"
    assert body["comment_period"] == {"opens": "2026-11-01", "closes": "2027-06-30",
                                      "state": body["comment_period"]["state"]}  # fmt: skip
    [version] = body["versions"]
    assert version["version"] == "5.0" and version["change_note"] == ""
    assert version["published_at"].endswith("Z")


def test_version_sections_carry_their_text_as_the_page_shows_it(client, paper):
    body = client.get("/api/v1/papers/think-paper-1/versions/5.0").get_json()
    assert body["version"] == "5.0"
    sections = body["sections"]
    assert [s["key"] for s in sections][:2] == ["preamble", "introduction"]
    section = next(s for s in sections if s["key"] == "public-sector-idiosyncrasies")
    assert section["number"] == "3.2" and section["level"] == 2
    assert section["title"] == "Public sector idiosyncrasies …"
    assert section["parent"] == "organisational-change"
    assert section["text"] == html_to_text(section["html"])
    assert section["text"].startswith("Organisations in the public realm differ from private ones")
    assert [n["label"] for n in section["notes"]][:2] == ["4", "5"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/v1/papers/nope", "no paper 'nope'"),
        ("/api/v1/papers/think-paper-1/versions/9.9", "has no version '9.9' (versions: 5.0)"),
        ("/api/v1/nothing-here", None),
    ],
)
def test_unknown_things_are_json_404s(client, paper, url, message):
    response = client.get(url)
    assert response.status_code == 404
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    if message:
        assert message in error["message"]


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/v1/papers")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_healthz_answers_ok_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
