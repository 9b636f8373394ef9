"""Compressed answers, fingerprinted static files, and the weight of the paper's page.

Pages, JSON and feeds come gzip- or Brotli-compressed when asked for, and as they are when
not; the streamed exports stay streamed when compressed. Static files are linked under
names that carry their content's hash, served for a year; the plain names still work. The
paper's page, for an anonymous reader and for a participant, loads at most 100 KB of its
own CSS and JavaScript, and nothing from another host.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import brotli
from bs4 import BeautifulSoup
from flask import request, url_for

from app.core.assets import IMMUTABLE
from app.models import Role
from tests.conftest import login
from tests.web.test_api_annotations import auth, token_for

PAPER = "/papers/think-paper-1/"
# The page's own stylesheets and scripts, before compression (media="print" ones included:
# browsers fetch them too).
BUDGET = 100_000
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}
FINGERPRINTED = re.compile(r"^/static/(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})\.(?P<ext>css|js|svg)$")
RELATIVE_IMPORT = re.compile(
    r"""\bfrom\s*["'](\.\.?/[^"']+)["']|\bimport\s*\(?\s*["'](\.\.?/[^"']+)["']"""
)


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _requested(soup: BeautifulSoup) -> list[str]:
    """Every URL the page makes the browser fetch: stylesheets, icons, scripts, images."""
    urls = [link["href"] for link in soup.select("link[href]") if link.get("rel") != ["canonical"]]
    urls += [link["href"] for link in soup.select('link[rel="alternate"][href]')]
    urls += [element["src"] for element in soup.select("script[src], img[src], iframe[src]")]
    return urls


def _own_css_and_js(client, soup: BeautifulSoup) -> dict[str, int]:
    """The bytes of each stylesheet and script the page loads, module imports followed."""
    sizes: dict[str, int] = {}
    pending = [link["href"] for link in soup.select('link[rel="stylesheet"]')]
    pending += [script["src"] for script in soup.select("script[src]")]
    while pending:
        url = pending.pop()
        if url in sizes:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data()
        sizes[url] = len(body)
        if url.endswith(".js"):
            for found in RELATIVE_IMPORT.finditer(body.decode("utf-8")):
                specifier = found.group(1) or found.group(2)
                pending.append(url.rsplit("/", 1)[0] + "/" + specifier.removeprefix("./"))
    return sizes


def test_pages_json_and_feeds_are_compressed_when_asked_and_only_then(client, paper):
    pages = {
        PAPER: "text/html",
        "/api/v1/papers/think-paper-1/versions/5.0": "application/json",
        "/papers/think-paper-1/feed.atom": "application/atom+xml",
        "/api/v1/papers/think-paper-1/annotations.jsonld": "application/ld+json",
    }
    for url, mimetype in pages.items():
        plain = client.get(url)
        assert plain.status_code == 200, url
        assert plain.mimetype == mimetype
        assert "Content-Encoding" not in plain.headers, url
        assert "Accept-Encoding" in plain.headers["Vary"]
        for encoding, decode in DECODE.items():
            response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
            assert response.headers["Content-Encoding"] == encoding, url
            assert "Accept-Encoding" in response.headers["Vary"]
            body = decode(response.get_data())
            if mimetype != "text/html":
                assert body == plain.get_data(), url
            else:
                assert body.decode().lstrip().lower().startswith("<!doctype html>")
                assert len(response.get_data()) < len(body) / 3
    small = client.get("/api/v1/papers", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers  # under 500 bytes: not worth it
    assert json.loads(small.get_data())["items"]


def test_a_streamed_export_stays_streamed_when_compressed(client, paper, create_user, db):
    token = token_for(create_user(Role.EDITOR, email="ed@example.org"), db)
    url = "/api/v1/papers/think-paper-1/versions/5.0/export.csv"
    plain = client.get(url, headers=auth(token)).get_data()
    for encoding, decode in DECODE.items():
        response = client.get(url, headers={**auth(token), "Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == encoding
        # The compressing generator wraps the rows' generator: no body held whole, no length.
        assert response.is_streamed
        assert "Content-Length" not in response.headers
        text = decode(response.get_data()).decode("utf-8-sig")
        assert text == plain.decode("utf-8-sig")
        assert next(csv.reader(io.StringIO(text)))[0] == "type"


def test_the_page_links_fingerprinted_static_files_kept_a_year(client, paper):
    soup = _soup(client.get(PAPER))
    static = [url for url in _requested(soup) if url.startswith("/static/")]
    assert any(url.endswith(".css") for url in static) and any(
        url.endswith(".js") for url in static
    )
    for url in static:
        assert FINGERPRINTED.match(url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "no-store" not in response.headers["Cache-Control"]
    stylesheet = next(url for url in static if url.endswith(".css"))
    for encoding, decode in DECODE.items():
        response = client.get(stylesheet, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert decode(response.get_data()) == client.get(stylesheet).get_data()
        again = client.get(
            stylesheet,
            headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]},
        )
        assert again.status_code == 304


def test_a_wrong_hash_is_not_found_and_the_plain_name_still_works(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/site.css")
    name = FINGERPRINTED.match(url)
    plain = f"/static/{name['stem']}.{name['ext']}"
    wrong = f"/static/{name['stem']}.{'0' * 10}.{name['ext']}"
    assert client.get(wrong).status_code == 404
    with client.get(plain) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
    # Compressed, a plain file's strong ETag names its encoding, and a conditional
    # request still gets its 304 (COMPRESS_EVALUATE_CONDITIONAL_REQUEST).
    compressed = client.get(plain, headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["ETag"] == etag[:-1] + ':gzip"'
    again = client.get(
        plain, headers={"Accept-Encoding": "gzip", "If-None-Match": compressed.headers["ETag"]}
    )
    assert again.status_code == 304


def test_modules_import_each_other_under_fingerprinted_names(client, paper):
    soup = _soup(client.get(PAPER))
    margin = next(s["src"] for s in soup.select("script[src]") if "/js/margin." in s["src"])
    source = client.get(margin).get_data(as_text=True)
    imported = [m.group(1) or m.group(2) for m in RELATIVE_IMPORT.finditer(source)]
    assert imported, "margin.js imports annotate.js and caret.js"
    page_scripts = {s["src"] for s in soup.select("script[src]")}
    for specifier in imported:
        url = "/static/js/" + specifier.removeprefix("./")
        assert FINGERPRINTED.match(url), specifier
        # The very URL the page loads: one module instance, not two.
        assert url in page_scripts, url
        assert client.get(url).status_code == 200


def test_the_paper_page_loads_at_most_100_kb_of_its_own_css_and_js(client, paper, user):
    sizes = {}
    for viewer in ("anonymous", "participant"):
        if viewer == "participant":
            login(client, user)
        response = client.get(PAPER)
        soup = _soup(response)
        if viewer == "participant":
            assert user.display_name in response.get_data(as_text=True)
        for url in _requested(soup):
            assert url.startswith("/") and not url.startswith("//"), url
        sizes[viewer] = _own_css_and_js(client, soup)
        assert any("/js/margin." in url for url in sizes[viewer])
        assert any("/css/site." in url for url in sizes[viewer])
        total = sum(sizes[viewer].values())
        assert total <= BUDGET, (viewer, total, sizes[viewer])


def test_a_weak_etag_survives_compression_and_still_answers_304(app, client):
    """A page's weak ETag stands for every encoding of it: compression leaves it as it is."""

    @app.get("/weak-etag-for-compression")
    def weak():
        response = app.response_class("<!doctype html><p>" + "words " * 200, mimetype="text/html")
        response.set_etag("page-state-1", weak=True)
        return response.make_conditional(request)

    for encoding in DECODE:
        response = client.get("/weak-etag-for-compression", headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert response.headers["ETag"] == 'W/"page-state-1"'
        again = client.get(
            "/weak-etag-for-compression",
            headers={"Accept-Encoding": encoding, "If-None-Match": 'W/"page-state-1"'},
        )
        assert again.status_code == 304
