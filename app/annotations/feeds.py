"""Atom feeds of a paper's discussion: what is new in a paper, or in one of its sections.

A feed is read by anyone's feed reader, logged in or not, so it shows what an anonymous
reader sees and only the words themselves: published contributions of accounts that are
not restricted — never the placeholders of deleted or hidden ones, which say nothing.
Each feed takes a fixed number of queries, whatever the number of entries.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from app.annotations.forms import KIND_LABELS
from app.annotations.queries import visible_to
from app.core import atom
from app.core.i18n import gettext as _
from app.core.urls import absolute_url, site_origin
from app.extensions import db
from app.models import Annotation, AnnotationStatus, Paper, PaperVersion, Section
from app.papers.queries import VERSION_COLUMNS

# The newest entries a feed holds; readers keep what they fetched before.
FEED_LENGTH = 50


def _host() -> str:
    return urlsplit(site_origin()).netloc


def _public_contributions(paper: Paper, key: str | None = None) -> list[Annotation]:
    """The newest published contributions to a paper (or to its section `key`, on any
    version), with their authors: two queries."""
    query = (
        select(Annotation)
        .where(Annotation.paper_id == paper.id)
        .where(visible_to(None), Annotation.status == AnnotationStatus.PUBLISHED)
        .options(selectinload(Annotation.author))
        .order_by(Annotation.created_at.desc(), Annotation.id.desc())
        .limit(FEED_LENGTH)
    )
    if key is not None:
        query = query.where(Annotation.section_key == key)
    return list(db.session.scalars(query))


def _versions(paper: Paper) -> list[PaperVersion]:
    """The paper's versions, newest first, without their sources: one query."""
    return list(
        db.session.scalars(
            select(PaperVersion)
            .where(PaperVersion.paper_id == paper.id)
            .options(load_only(*VERSION_COLUMNS))
            .order_by(PaperVersion.sequence.desc())
            .limit(FEED_LENGTH)
        )
    )


def _permalink(annotation: Annotation) -> str:
    """A thread's page, or a reply's place on it."""
    if annotation.is_root:
        return absolute_url("annotations.thread", annotation_id=annotation.id)
    return absolute_url(
        "annotations.thread", annotation_id=annotation.thread_id, _anchor=f"a{annotation.id}"
    )


def _contribution_entry(annotation: Annotation) -> atom.Entry:
    name = annotation.author.display_name
    if annotation.is_root:
        title = _("%(kind)s by %(name)s", kind=KIND_LABELS[annotation.kind], name=name)
    else:
        title = _("Reply by %(name)s", name=name)
    return atom.Entry(
        id=atom.tag_id(_host(), "annotation", annotation.id),
        title=title,
        link=_permalink(annotation),
        author=name,
        published=annotation.created_at,
        updated=annotation.edited_at or annotation.created_at,
        content_html=annotation.body_html,
        language=annotation.language,
    )


def _version_entry(paper: Paper, version: PaperVersion) -> atom.Entry:
    note = version.change_note or ""
    return atom.Entry(
        id=atom.tag_id(_host(), "paper", paper.id, "version", version.id),
        title=_("Version %(label)s of %(title)s", label=version.label, title=version.title),
        link=absolute_url("papers.version", slug=paper.slug, label=version.label),
        author=", ".join(version.authors or []) or _("Think Paper Commons"),
        published=version.published_at,
        content_html=f"<p>{escape(note)}</p>" if note else "",
    )


def _newest(entries: list[atom.Entry]) -> list[atom.Entry]:
    entries.sort(key=lambda e: (e.published, e.id), reverse=True)
    return entries[:FEED_LENGTH]


def paper_feed(paper: Paper) -> atom.Feed:
    """A paper's new public contributions and its versions, newest first."""
    entries = [_contribution_entry(a) for a in _public_contributions(paper)]
    entries += [_version_entry(paper, v) for v in _versions(paper)]
    return atom.Feed(
        id=atom.tag_id(_host(), "paper", paper.id),
        title=_("%(title)s: new versions and contributions", title=paper.display_title),
        self_link=absolute_url("annotations.paper_feed", slug=paper.slug),
        link=absolute_url("papers.paper", slug=paper.slug),
        fallback_updated=paper.created_at,
        entries=_newest(entries),
    )


def paper_by_slug(slug: str) -> Paper | None:
    """The paper `slug`, if it has a published version: one query."""
    return db.session.scalar(select(Paper).where(Paper.slug == slug, Paper.versions.any()))


def latest_section(paper: Paper, key: str) -> Section | None:
    """The section `key` in the latest version of the paper that has it: one query."""
    return db.session.scalar(
        select(Section)
        .join(PaperVersion, PaperVersion.id == Section.version_id)
        .where(PaperVersion.paper_id == paper.id, Section.key == key)
        .options(selectinload(Section.version).load_only(*VERSION_COLUMNS))
        .order_by(PaperVersion.sequence.desc())
        .limit(1)
    )


def section_feed(paper: Paper, section: Section) -> atom.Feed:
    """The new public contributions to one section of a paper, on whichever version they
    were written."""
    entries = [_contribution_entry(a) for a in _public_contributions(paper, section.key)]
    return atom.Feed(
        id=atom.tag_id(_host(), "paper", paper.id, "section", section.key),
        title=_(
            "%(section)s · %(title)s: new contributions",
            section=section.heading,
            title=paper.display_title,
        ),
        self_link=absolute_url("annotations.section_feed", slug=paper.slug, key=section.key),
        link=absolute_url(
            "annotations.section",
            slug=paper.slug,
            label=section.version.label,
            key=section.key,
        ),
        fallback_updated=section.version.published_at,
        entries=_newest(entries),
    )
