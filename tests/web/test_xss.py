"""Hostile bodies through the API: kept exactly as written, rendered harmless.

Every string of the Big List of Naughty Strings (tests/data/blns.json, MIT) and a set of
classic cross-site scripting vectors are posted as annotation bodies. The Markdown comes
back byte for byte; its HTML, parsed as a browser would, has no active content: no
scripting elements, no event handlers, no javascript:, data: or vbscript: URLs.
"""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from tests.conftest import DATA
from tests.web.test_api_annotations import (
    API,
    THREADS_URL,
    auth,
    open_for_comments,
    post,
    root,
    token_for,
)

BLNS = json.loads((DATA / "blns.json").read_text(encoding="utf-8"))

FORBIDDEN_ELEMENTS = {
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "style",
    "link",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "meta",
    "base",
    "svg",
    "math",
    "img",
    "video",
    "audio",
    "source",
    "details",
    "body",
    "html",
    "noscript",
    "template",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "data",
    "poster",
    "srcset",
    "cite",
    "longdesc",
    "dynsrc",
    "lowsrc",
}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
# What browsers ignore in a URL: ASCII whitespace and control characters anywhere.
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f]")

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<img """><script>alert(1)</script>">',
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="9">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="https://example.org/" onclick="alert(1)">a fine link with a handler</a>',
    '<a id="fnref-x" href="javascript:alert(1)">footnote-looking</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="evil.swf"></object>',
    '<embed src="evil.swf">',
    "<applet code=Evil.class></applet>",
    "<style>body { display: none }</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<link rel="stylesheet" href="//evil.example/x.css">',
    '<div onclick="alert(1)">click</div>',
    "<b OnMouseOver=alert(1)>bold</b>",
    "<strong ONCLICK='alert(1)'>strong</strong>",
    '<abbr title="x" onmouseover="alert(1)">abbr</abbr>',
    '<sup class="fnref" onmouseover="alert(1)">1</sup>',
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<body onload=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<table background="javascript:alert(1)"><tr><td>cell</td></tr></table>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<a href=javascript:alert(1)>unquoted</a>",
    "`<script>alert(1)</script>` and\n\n    <script>alert(2)</script>",
    "> <script>alert(1)</script>",
    "* <img src=x onerror=alert(1)>\n* [x](javascript:alert(2))",
    "| a | b |\n| --- | --- |\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
]


@pytest.fixture
def app_config(app_config):
    """Hundreds of posts in one test: these tests run with rate limits switched off."""

    class Unlimited(app_config):
        RATELIMIT_ENABLED = False

    return Unlimited


@pytest.fixture
def token(paper, user, db):
    open_for_comments(paper, db)
    return token_for(user, db)


def dangers(html: str) -> list[str]:
    """What in `html` could run script, as a list of findings (empty when harmless)."""
    found = []
    for element in BeautifulSoup(html, "html.parser").find_all(True):
        if element.name.lower() in FORBIDDEN_ELEMENTS:
            found.append(f"<{element.name}> element")
        for name, value in element.attrs.items():
            name = name.lower()
            if name.startswith("on"):
                found.append(f"{name} handler on <{element.name}>")
            if name == "style":
                found.append(f"style attribute on <{element.name}>")
            if name in URL_ATTRIBUTES:
                text = value if isinstance(value, str) else " ".join(value)
                url = IGNORED_IN_URLS.sub("", text).lower()
                if url.startswith(BAD_SCHEMES):
                    found.append(f"{name}={text!r} on <{element.name}>")
    return found


def test_the_checker_sees_danger():
    """The check itself catches what it must (else the tests below prove nothing)."""
    assert dangers("<p>fine <a href='https://example.org'>link</a></p>") == []
    assert dangers("<script>x</script>")
    assert dangers("<b onclick=x>")
    assert dangers('<a href=" JAVA\tSCRIPT:x">')
    assert dangers('<a href="&#x6A;avascript:x">')  # entities are decoded by the parser
    assert dangers('<img src="data:image/png;base64,AAAA">')


def _post_all(client, token, bodies):
    """Post each body once; returns the responses in order."""
    return [post(client, token, root(body=body)) for body in bodies]


def test_every_naughty_string_round_trips_or_is_refused_as_empty(client, token):
    assert len(BLNS) == 515
    refused, kept, problems = [], {}, []

    for body, response in zip(BLNS, _post_all(client, token, BLNS), strict=True):
        if not body.strip():
            if response.status_code != 422 or response.get_json()["error"]["code"] != "empty":
                problems.append(f"{body!r}: {response.status_code} {response.get_data()[:200]}")
            refused.append(body)
            continue
        if response.status_code != 201:
            problems.append(f"{body!r}: {response.status_code} {response.get_data()[:200]}")
            continue
        created = response.get_json()
        if created["body"] != body:
            problems.append(f"{body!r} came back as {created['body']!r}")
        problems += [f"{body!r}: {d}" for d in dangers(created["body_html"])]
        kept[created["id"]] = body

    assert problems == []
    assert refused == ["", " "]
    assert len(kept) == 513
    # Stored as sent: read back through the list, a page of 200 at a time.
    stored, url = {}, f"{THREADS_URL}?limit=200"
    while url:
        page = client.get(url).get_json()
        stored.update({item["id"]: item["body"] for item in page["items"]})
        url = page["next"]
    assert stored == kept


def test_script_vectors_are_kept_as_written_and_rendered_harmless(client, token):
    assert len(VECTORS) >= 30
    problems = []

    responses = _post_all(client, token, VECTORS)

    for body, response in zip(VECTORS, responses, strict=True):
        if response.status_code != 201:
            problems.append(f"{body!r}: {response.status_code} {response.get_data()[:200]}")
            continue
        created = response.get_json()
        if created["body"] != body:
            problems.append(f"{body!r} came back as {created['body']!r}")
        problems += [f"{body!r}: {d}" for d in dangers(created["body_html"])]
        fetched = client.get(f"{API}/annotations/{created['id']}").get_json()
        if (fetched["body"], fetched["body_html"]) != (created["body"], created["body_html"]):
            problems.append(f"{body!r} reads back differently")
    assert problems == []


def test_vectors_in_replies_and_edits_are_rendered_harmless(client, token):
    thread = post(client, token, root(body="Start")).get_json()
    problems = []

    for body in VECTORS[::3]:
        reply = post(client, token, {"parent": thread["id"], "body": body}).get_json()
        problems += [f"reply {body!r}: {d}" for d in dangers(reply["body_html"])]
        edited = client.patch(
            f"{API}/annotations/{thread['id']}", json={"body": body}, headers=auth(token)
        ).get_json()
        assert edited["body"] == body
        problems += [f"edit {body!r}: {d}" for d in dangers(edited["body_html"])]

    assert problems == []
