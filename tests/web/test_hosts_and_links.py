"""Absolute links come from SITE_URL, never from the request's Host; other hosts get 400.

The site here is `https://commons.example.org`; the test client may also call it by the
local names of the testing configuration (`localhost`, `127.0.0.1`), and every link it
hands out must still lead to the public origin — in mail, in the API's `url`, `next` and
`Location` fields, in exports and canonical links. A Host the site does not answer for
is refused before anything is done or sent.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from app import create_app
from app.models import Role
from tests.conftest import PAPER_DIR, login
from tests.web.test_api_annotations import auth, open_for_comments, root, token_for

SITE = "https://commons.example.org"
API = "/api/v1"
# Hosts the site answers for, other than its own: links must not follow them.
LOCAL = "127.0.0.1:8080"
FORGED = ["evil.example", "evil.example:443", "commons.example.org.evil.example", "x.localhost"]
URL = re.compile(r"https?://[^\s\"'<>]+")
# Where the code may not take a host from: the request (only `app/core/urls.py` builds links).
HOST_READERS = re.compile(
    r"_external\s*=\s*True|\burl_root\b|\bhost_url\b|\brequest\.(host|url|base_url|root_url)\b"
)


@pytest.fixture
def app_config(app_config):
    class Config(app_config):
        SITE_URL = SITE

    return Config


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ] if folder.exists() else []  # fmt: skip


def links_in_mail(app) -> list[str]:
    return [url for message in outbox(app) for url in URL.findall(message.get_content())]


def absolute_urls(value) -> list[str]:
    """Every string in a JSON value that is an absolute http(s) URL."""
    if isinstance(value, dict):
        return [url for item in value.values() for url in absolute_urls(item)]
    if isinstance(value, list):
        return [url for item in value for url in absolute_urls(item)]
    if isinstance(value, str) and re.match(r"https?://", value):
        return [value]
    return []


# --- configuration ---------------------------------------------------------------------------


def test_production_refuses_to_start_without_site_url(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(ProductionConfig, "SITE_URL", None)
    with pytest.raises(RuntimeError, match="SITE_URL must be set"):
        create_app("production")


@pytest.mark.parametrize(
    "bad",
    ["commons.example.org", "ftp://commons.example.org", "https://", "https://x.org/commons",
     "https://x.org/?q=1", "https://user@x.org", "https://x.org:99999"],
)  # fmt: skip
def test_site_url_must_be_an_http_origin(app_config, bad):
    class Config(app_config):
        SITE_URL = bad

    with pytest.raises(ValueError, match="SITE_URL"):
        create_app(Config)


def test_production_trusts_only_site_urls_host_and_the_named_extras(monkeypatch, database_url):
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(ProductionConfig, "SITE_URL", "https://Commons.Example.org/")
    monkeypatch.setattr(ProductionConfig, "EXTRA_TRUSTED_HOSTS", ["probe.internal"])
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", database_url)
    app = create_app("production")
    assert app.config["SITE_URL"] == "https://commons.example.org"
    assert app.config["TRUSTED_HOSTS"] == ["commons.example.org", "probe.internal"]


def test_no_code_builds_a_link_from_the_request():
    """The whole class: links come from `app.core.urls`, which reads SITE_URL."""
    root_dir = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root_dir)}:{number}: {line.strip()}"
        for folder in ("app", "templates")
        for path in sorted((root_dir / folder).rglob("*"))
        if path.suffix in {".py", ".html", ".txt", ".xml"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HOST_READERS.search(line) and path.name != "urls.py"
    ]
    assert not offenders, "absolute links must use app.core.urls.absolute_url:\n" + "\n".join(
        offenders
    )


# --- foreign hosts are refused ----------------------------------------------------------------


@pytest.mark.parametrize("host", FORGED)
@pytest.mark.parametrize("path", ["/", "/login", "/papers/think-paper-1/", f"{API}/papers"])
def test_a_foreign_host_gets_400_on_pages_and_the_api(client, paper, host, path):
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"]
    if path.startswith(API):
        assert response.get_json()["error"]["code"] == "bad_host"
    else:
        assert "does not answer for the host" in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["commons.example.org", "localhost", LOCAL])
def test_the_sites_own_and_local_names_are_answered(client, paper, host):
    assert client.get("/", headers={"Host": host}).status_code == 200
    assert client.get(f"{API}/papers", headers={"Host": host}).status_code == 200


def test_a_logged_in_post_with_a_foreign_host_changes_nothing(client, user, db):
    login(client, user)
    response = client.post(
        "/account/", data={"display_name": "Renamed"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.display_name != "Renamed"


# --- mail ---------------------------------------------------------------------------------


@pytest.fixture
def unconfirmed(create_user):
    return create_user(confirmed=False)


MAIL_REQUESTS = [
    pytest.param("/reset-password", "user", "/reset-password/", id="password-reset"),
    pytest.param("/confirm/resend", "unconfirmed", "/confirm/", id="confirmation"),
]


@pytest.mark.parametrize(("path", "who", "link_path"), MAIL_REQUESTS)
def test_mail_asked_for_through_another_name_links_to_site_url(
    app, client, request, path, who, link_path
):
    account = request.getfixturevalue(who)
    headers = {"Host": LOCAL, "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
    # buffered: the client closes the answer, after which the reset mail leaves.
    response = client.post(path, data={"email": account.email}, headers=headers, buffered=True)
    assert response.status_code in (200, 302, 303)
    links = links_in_mail(app)
    assert links, "no link was mailed"
    assert all(link.startswith(SITE + link_path) for link in links), links


@pytest.mark.parametrize(("path", "who", "link_path"), MAIL_REQUESTS)
@pytest.mark.parametrize("host", FORGED)
def test_mail_asked_for_with_a_forged_host_is_refused_and_not_sent(
    app, client, request, path, who, link_path, host
):
    account = request.getfixturevalue(who)
    response = client.post(path, data={"email": account.email}, headers={"Host": host})
    assert response.status_code == 400
    assert outbox(app) == []


def test_mail_made_outside_a_request_links_to_site_url(app, unconfirmed, db):
    """A command (or a queued job) has no request, and still knows the site's address."""
    from app.accounts.services import send_confirmation_mail
    from app.core.mail import pending_mail

    with app.app_context():  # no request context: like `flask users …` or a digest job
        send_confirmation_mail(unconfirmed)
        (message,) = pending_mail()
        links = URL.findall(message.get_content())
        db.session.rollback()
    assert links and all(link.startswith(SITE + "/confirm/") for link in links)


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def site_with_everything(client, paper, import_paper, create_user, create_annotation, db):
    """Two papers, several threads (a reply too), pending contributions in the queue, two
    terms with proposals; an admin's token. Returns what the API routes need."""
    open_for_comments(paper, db)
    second = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")
    import_paper(second, slug="think-paper-two")
    admin = create_user(Role.ADMIN)
    token = token_for(admin, db)
    first = create_annotation("One.")
    create_annotation("Two.")
    create_annotation("A reply.", parent=first)
    newcomer = create_user(trusted=False)
    for body in ("Pending one.", "Pending two."):
        create_annotation(body, author=newcomer)
    terms = []
    for label in ("Public value", "Street-level bureaucracy"):
        made = client.post(
            f"{API}/terms", json={"label": label, "definition": "Words."}, headers=auth(token)
        )
        assert made.status_code == 201, made.get_data(as_text=True)
        terms.append(made.get_json())
    return {
        "token": token,
        "values": {
            "slug": paper.slug,
            "label": "5.0",
            "annotation_id": first.id,
            "proposal_id": terms[0]["proposals"][0]["id"],
            "term_slug": terms[0]["slug"],
        },
    }


# Each GET route of the API, with the arguments it is called with (a new route must be added).
API_GETS = {
    "api.papers": ({}, {"limit": 1}),
    "api.paper": ({"slug": "slug"}, {}),
    "api.version": ({"slug": "slug", "label": "label"}, {}),
    "api.version_annotations": ({"slug": "slug", "label": "label"}, {"limit": 1}),
    "api.annotation": ({"annotation_id": "annotation_id"}, {}),
    "api.moderation_queue": ({}, {"limit": 1}),
    "api.terms": ({}, {"limit": 1}),
    "api.term": ({"slug": "term_slug"}, {}),
    "api.proposal": ({"proposal_id": "proposal_id"}, {}),
    "api.openapi_document": ({}, {}),
    "api.paper_annotations": ({"slug": "slug"}, {}),
    "api.search": ({}, {"q": "public", "limit": 1}),
    "api.export_csv": ({"slug": "slug", "label": "label"}, {}),
    "api.export_json": ({"slug": "slug", "label": "label"}, {}),
    "api.version_campaigns": ({"slug": "slug", "label": "label"}, {"limit": 1}),
}


def test_every_api_get_route_is_covered(app):
    routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and "GET" in rule.methods
    }
    assert routes == set(API_GETS), "add the new API route to API_GETS"


@pytest.mark.parametrize("host", ["localhost", LOCAL, "commons.example.org"])
def test_every_api_answer_links_to_site_url(app, client, site_with_everything, host,
                                            create_annotation):  # fmt: skip
    from flask import url_for

    # Two campaigns (copies of two texts, one word changed in each copy): a page of one
    # has a link to the next.
    for text in (
        "Please keep the budget line for training in every administration.",
        "The paper should name the five countries it draws its examples from.",
    ):
        create_annotation(text)
        create_annotation(text.replace("the", "a", 1))

    values, token = site_with_everything["values"], site_with_everything["token"]
    seen_next = set()
    for endpoint, (arguments, query) in API_GETS.items():
        with app.test_request_context():
            path = url_for(endpoint, **{k: values[v] for k, v in arguments.items()}, **query)
        response = client.get(path, headers={"Host": host, **auth(token)})
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        body = response.get_json()
        # A CSV export is text: its links are those in its cells.
        urls = absolute_urls(body) if response.is_json else URL.findall(response.text)
        if endpoint != "api.openapi_document":
            assert urls, f"{path} has no links"
        offsite = [url for url in urls if not url.startswith(SITE + "/")]
        if endpoint == "api.openapi_document":  # it may name the standards it follows
            offsite = [url for url in offsite if "commons" in url or "localhost" in url]
        if endpoint == "api.paper_annotations":  # its JSON-LD context is the W3C's
            offsite = [url for url in offsite if url != "http://www.w3.org/ns/anno.jsonld"]
        assert not offsite, (path, offsite)
        if isinstance(body, dict) and body.get("next"):
            seen_next.add(endpoint)
    assert seen_next == {
        "api.papers",
        "api.version_annotations",
        "api.moderation_queue",
        "api.terms",
        "api.search",
        "api.version_campaigns",
    }


def test_location_headers_name_no_other_host(client, site_with_everything):
    token = site_with_everything["token"]
    slug = site_with_everything["values"]["term_slug"]
    headers = {"Host": LOCAL, **auth(token)}
    made = [
        client.post(f"{API}/annotations", json=root(), headers=headers),
        client.post(f"{API}/terms", json={"label": "Co-production"}, headers=headers),
        client.post(f"{API}/terms/{slug}/proposals", json={"text": "Other."}, headers=headers),
    ]
    for response in made:
        assert response.status_code == 201, response.get_data(as_text=True)
        # A path of this site (CONTRACT), or an absolute link on SITE_URL: never another host.
        location = response.headers["Location"]
        assert location.startswith(("/api/v1/", SITE + "/api/v1/")), location
        assert not location.startswith("//")
        assert all(url.startswith(SITE + "/") for url in absolute_urls(response.get_json()))


# --- pages and exports ---------------------------------------------------------------------------


def test_canonical_links_and_exports_are_on_site_url(client, site_with_everything, import_paper):
    from tests.unit.test_dispositions import later_source

    import_paper(later_source())
    pages = {
        "/papers/think-paper-1/v/5.0/": f"{SITE}/papers/think-paper-1/v/5.0/",
        "/papers/think-paper-1/compare/5.0/5.1/": f"{SITE}/papers/think-paper-1/compare/5.0/5.1/",
    }
    for path, canonical in pages.items():
        html = client.get(path, headers={"Host": LOCAL}).get_data(as_text=True)
        assert f'<link rel="canonical" href="{canonical}">' in html, path
    csv = client.get("/papers/think-paper-1/v/5.1/responses.csv", headers={"Host": LOCAL})
    assert csv.status_code == 200, csv.get_data(as_text=True)[:300]
    links = re.findall(r"https?://[^,\s]+", csv.get_data(as_text=True))
    assert len(links) == 2 and all(link.startswith(SITE + "/annotations/") for link in links), links
