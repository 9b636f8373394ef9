"""Atom feeds (RFC 4287), written with xml.etree so that every text is escaped.

Feed readers poll these documents and must parse them whatever people wrote: the text
of contributions is stored as sanitised HTML, which goes into `content type="html"` as
escaped text, and characters that XML 1.0 forbids (control characters, lone surrogates,
U+FFFE and U+FFFF), which a naughty title or body may hold, are dropped, since no escape
can carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
MIMETYPE = "application/atom+xml"
CONTENT_TYPE = f"{MIMETYPE}; charset=utf-8"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Everything outside XML 1.0's Char production.
_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text that XML 1.0 can carry."""
    return _FORBIDDEN.sub("", str(value))


def timestamp(value: datetime) -> str:
    """An RFC 3339 date-time in UTC, as Atom asks (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Entry:
    """One entry: `id` a stable IRI, `link` its permalink, `content_html` sanitised HTML."""

    id: str
    title: str
    link: str
    author: str
    published: datetime
    content_html: str
    updated: datetime | None = None
    # The language of the content (a BCP 47 tag), as `xml:lang`: the title is the site's.
    language: str | None = None


@dataclass
class Feed:
    """A feed: `self_link` its own absolute URL, `link` the HTML page it follows."""

    id: str
    title: str
    self_link: str
    link: str
    fallback_updated: datetime
    entries: list[Entry] = field(default_factory=list)
    subtitle: str | None = None

    @property
    def updated(self) -> datetime:
        """The newest entry's time, or `fallback_updated` when there is none."""
        times = [e.updated or e.published for e in self.entries]
        return max(times, default=self.fallback_updated)


def _child(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    values = {name: xml_text(value) for name, value in attrs.items()}
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", values)
    if text is not None:
        element.text = xml_text(text)
    return element


def render(feed: Feed) -> bytes:
    """The feed as a UTF-8 XML document."""
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _child(root, "id", feed.id)
    _child(root, "title", feed.title)
    if feed.subtitle:
        _child(root, "subtitle", feed.subtitle)
    _child(root, "updated", timestamp(feed.updated))
    _child(root, "link", rel="self", type=MIMETYPE, href=feed.self_link)
    _child(root, "link", rel="alternate", type="text/html", href=feed.link)
    for entry in feed.entries:
        item = _child(root, "entry")
        _child(item, "id", entry.id)
        _child(item, "title", entry.title)
        _child(item, "published", timestamp(entry.published))
        _child(item, "updated", timestamp(entry.updated or entry.published))
        _child(item, "link", rel="alternate", type="text/html", href=entry.link)
        author = _child(item, "author")
        _child(author, "name", entry.author)
        language = {XML_LANG: entry.language} if entry.language else {}
        _child(item, "content", entry.content_html, type="html", **language)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def tag_id(host: str, *parts: object) -> str:
    """A stable tag URI (RFC 4151) for a thing of this site: `tag:host,2026:annotation:3`."""
    return f"tag:{host},2026:" + ":".join(str(p) for p in parts)
