"""Model → JSON, in the shapes CONTRACT.md promises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from app.models import Paper, PaperVersion, Section
from app.papers.queries import CommentPeriod


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def paper_item(paper: Paper, latest: PaperVersion) -> dict[str, Any]:
    return {
        "slug": paper.slug,
        "title": paper.title,
        "number": paper.number,
        "series": paper.series,
        "latest_version": latest.label,
        "url": url_for("api.paper", slug=paper.slug, _external=True),
    }


def period_json(period: CommentPeriod) -> dict[str, Any]:
    return {
        "opens": period.opens.isoformat() if period.opens else None,
        "closes": period.closes.isoformat() if period.closes else None,
        "state": period.state,
    }


def paper_detail(
    paper: Paper, versions: list[PaperVersion], period: CommentPeriod
) -> dict[str, Any]:
    latest = versions[-1]
    return {
        "slug": paper.slug,
        "title": paper.title,
        "number": paper.number,
        "series": paper.series,
        "authors": latest.authors,
        "editors": latest.editors,
        "latest_version": latest.label,
        "comment_period": period_json(period),
        "versions": [
            {
                "version": v.label,
                "published_at": iso(v.published_at),
                "date": v.date.isoformat() if v.date else None,
                "change_note": v.change_note,
                "url": url_for("api.version", slug=paper.slug, label=v.label, _external=True),
            }
            for v in versions
        ],
        "html_url": url_for("papers.paper", slug=paper.slug, _external=True),
    }


def section_json(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "number": section.number,
        "title": section.title,
        "level": section.level,
        "parent": section.parent_key,
        "position": section.position,
        "text": section.text,
        "html": section.html,
        "notes": [
            {"label": n["label"], "text": n["text"], "html": n["html"]} for n in section.notes
        ],
    }


def version_detail(paper: Paper, version: PaperVersion, sections: list[Section]) -> dict[str, Any]:
    return {
        "paper": paper.slug,
        "version": version.label,
        "title": version.title,
        "authors": version.authors,
        "editors": version.editors,
        "date": version.date.isoformat() if version.date else None,
        "published_at": iso(version.published_at),
        "change_note": version.change_note,
        "acknowledgement": version.acknowledgement,
        "sections": [section_json(s) for s in sections],
        "html_url": url_for("papers.version", slug=paper.slug, label=version.label, _external=True),
    }
