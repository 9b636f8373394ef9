"""Reading pages: the list of papers and one version of a paper, section by section."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.annotations import queries as discussion
from app.papers import queries

bp = Blueprint("papers", __name__)


@bp.route("/")
def index():
    """The papers, with their latest version and comment period."""
    return render_template("papers/index.html", papers=queries.paper_summaries())


@bp.route("/papers/<slug>/")
def paper(slug: str):
    """The latest published version of a paper."""
    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    paper, versions = found
    return _render_version(paper, versions, versions[-1])


@bp.route("/papers/<slug>/v/<label>/")
def version(slug: str, label: str):
    """One published version of a paper."""
    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    paper, versions = found
    chosen = next((v for v in versions if v.label == label), None)
    if chosen is None:
        abort(404)
    return _render_version(paper, versions, chosen)


def _render_version(paper, versions, version):
    sections = queries.sections_of(version)
    margin = discussion.margin(version, current_user)
    # Without a visible thread there is no passage to highlight: spare the query.
    anchors = discussion.passage_anchors(version, current_user) if margin.threads else []
    return render_template(
        "papers/version.html",
        paper=paper,
        versions=versions,
        version=version,
        latest=versions[-1],
        sections=sections,
        toc=queries.table_of_contents(sections),
        period=queries.comment_period(paper),
        margin=margin,
        anchors=[vars(anchor) for anchor in anchors],  # plain fields; asdict() would deep-copy
    )


@bp.route("/terms")
def terms():
    """The terms of participation that every account accepts."""
    return render_template("papers/terms.html")
