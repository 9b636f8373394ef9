"""The one sanitiser: every piece of HTML that does not come from a template.

Paper sections, comments and definitions are all written in Markdown and turned into
HTML here, then cleaned by one bleach allowlist. Paper sources may use footnote
references (`[^4]`), which become superscript links carrying the note's own label, so
that a note keeps its printed number whichever section it is rendered in.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from html.parser import HTMLParser

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "del", "em", "h3", "h4",
        "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
FOOTNOTE_REF_ID = re.compile(r"^fnref-[A-Za-z0-9_.-]{1,40}$")
FOOTNOTE_REF = re.compile(r"\[\^([A-Za-z0-9_.-]{1,40})\]")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """The attribute allowlist, with values checked where an attribute could mislead."""
    if tag == "a":
        if name in {"href", "title"}:
            return True
        return name == "id" and bool(FOOTNOTE_REF_ID.match(value))
    if tag in {"th", "td"}:
        return name in {"colspan", "rowspan"} or (tag == "th" and name == "scope")
    if tag == "ol":
        return name == "start"
    if tag == "abbr":
        return name == "title"
    if tag == "sup":
        return name == "class" and value == "fnref"
    return False


class _LinksAndTablesFilter(Filter):
    """After cleaning: mark outside links `nofollow noopener`, and let wide tables scroll.

    Tables are wrapped in a `div.table-scroll` so that a table wider than a phone
    scrolls on its own instead of widening the page; no text is added, so the
    section's text content (and every annotation offset) is unchanged.
    """

    def __iter__(self):
        for token in super().__iter__():
            kind, name = token.get("type"), token.get("name")
            if kind == "StartTag" and name == "table":
                yield {
                    "type": "StartTag",
                    "name": "div",
                    "namespace": token.get("namespace"),
                    "data": {(None, "class"): "table-scroll"},
                }
                yield token
            elif kind == "EndTag" and name == "table":
                yield token
                yield {"type": "EndTag", "name": "div", "namespace": token.get("namespace")}
            elif kind == "StartTag" and name == "a":
                attrs = dict(token.get("data") or {})
                href = attrs.get((None, "href"), "")
                if re.match(r"^(https?:|mailto:|//)", href, re.IGNORECASE):
                    attrs[(None, "rel")] = "nofollow noopener"
                token["data"] = attrs
                yield token
            else:
                yield token


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinksAndTablesFilter],
)


class _FootnoteRefProcessor(InlineProcessor):
    def __init__(self, pattern: str, extension: FootnoteRefExtension):
        super().__init__(pattern)
        self.extension = extension

    def handleMatch(self, m, data):
        label = m.group(1)
        seen = self.extension.seen
        seen[label] = seen.get(label, 0) + 1
        ref_id = f"fnref-{label}" if seen[label] == 1 else f"fnref-{label}-{seen[label]}"
        sup = etree.Element("sup", {"class": "fnref"})
        link = etree.SubElement(sup, "a", {"id": ref_id, "href": f"#fn-{label}"})
        link.text = label
        return sup, m.start(0), m.end(0)


class FootnoteRefExtension(Extension):
    """`[^label]` → a superscript link to `#fn-label`, numbered by its own label.

    `seen` counts references per label across every section rendered with the same
    extension instance, so that a note cited twice gets two distinct anchors.
    """

    def __init__(self, **kwargs):
        self.seen: dict[str, int] = {}
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        md.inlinePatterns.register(
            _FootnoteRefProcessor(FOOTNOTE_REF.pattern, self), "tpc_footnote_ref", 175
        )


EXTENSIONS = ("tables", "sane_lists")
# A converter per thread, made once and reset before each use: building one (loading its
# extensions, compiling their patterns) took as long as converting a comment. Converters
# keep state while they work, so threads do not share one.
_converters = threading.local()


def _converter() -> markdown.Markdown:
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = markdown.Markdown(extensions=list(EXTENSIONS), output_format="html")
        _converters.markdown = converter
    return converter.reset()


def render_markdown(source: str, *, footnotes: FootnoteRefExtension | None = None) -> str:
    """Markdown → sanitised HTML, through the one allowlist."""
    if footnotes is None:
        html = _converter().convert(source)
    else:
        # A paper's footnotes count references across its sections: a converter of its own.
        converter = markdown.Markdown(extensions=[*EXTENSIONS, footnotes], output_format="html")
        html = converter.convert(source)
    return sanitise_html(html)


def sanitise_html(html: str) -> str:
    """Clean HTML with the one allowlist (used by `render_markdown`)."""
    return _cleaner.clean(html)


class _TextContent(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text content of an HTML fragment, as a browser's `textContent` gives it.

    Offsets of passages count code points in this string, so it must match what the
    browser computes from the same markup: every text node, whitespace included, with
    no text added for tags (a `<br>` adds nothing, just as in the DOM).
    """
    parser = _TextContent()
    parser.feed(html.replace("\r\n", "\n").replace("\r", "\n"))
    parser.close()
    return "".join(parser.parts)
