"""Reading pages: the list of papers and one version of a paper, section by section."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
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


# --- Compare two versions (imports kept here so that this block stands alone) ------------


@bp.route("/papers/<slug>/compare/")
def compare_pick(slug: str):
    """The version picker's GET form: `?from=&to=` → the comparison's own address.

    Without `from` the previous version to `to` is taken; without `to`, the latest."""
    from flask import redirect, request, url_for

    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    _paper, versions = found
    labels = [v.label for v in versions]
    to_label = request.args.get("to") or labels[-1]
    if to_label not in labels:
        abort(404)
    from_label = request.args.get("from") or labels[max(labels.index(to_label) - 1, 0)]
    if from_label not in labels:
        abort(404)
    return redirect(
        url_for("papers.compare", slug=slug, from_label=from_label, to_label=to_label), 302
    )


@bp.route("/papers/<slug>/compare/<from_label>/<to_label>/")
def compare(slug: str, from_label: str, to_label: str):
    """What changed between two versions, section by section; `?all=1` also shows the
    text of the sections that did not change."""
    from flask import request

    from app.papers.compare import compare_versions

    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    paper, versions = found
    comparison = compare_versions(paper, versions, from_label, to_label)
    if comparison is None:
        abort(404)
    return render_template(
        "papers/compare.html",
        paper=paper,
        versions=versions,
        comparison=comparison,
        show_all=request.args.get("all") == "1",
    )


# --- end of compare -----------------------------------------------------------------------


def _remember_terms_mode(mode: str):
    """Keep the reader's choice of marked terms for a year (secure where sessions are)."""
    secure = current_app.config.get("SESSION_COOKIE_SECURE", False)

    def remember(response):
        response.set_cookie("terms", mode, max_age=365 * 24 * 3600, samesite="Lax", secure=secure)
        return response

    return remember


def _render_version(paper, versions, version):
    sections = queries.sections_of(version)
    margin = discussion.margin(version, current_user)
    # Without a visible thread there is no passage to highlight: spare the query.
    anchors = discussion.passage_anchors(version, current_user) if margin.threads else []
    # Threads whose section is gone: every one of them, at the end of the paper.
    gone = (
        discussion.threads(version, current_user, section_gone=True)
        if None in margin.threads
        else []
    )
    # Glossary terms in the text (one query): `?terms=first|all|none`, remembered in a cookie.
    from flask import after_this_request, request

    from app.definitions.marking import DEFAULT_MODE, MODES, mark_sections

    asked = request.args.get("terms")
    term_mode = asked if asked in MODES else request.cookies.get("terms")
    term_mode = term_mode if term_mode in MODES else DEFAULT_MODE
    marked = mark_sections(sections, term_mode)
    if asked in MODES and asked != request.cookies.get("terms"):
        after_this_request(_remember_terms_mode(asked))
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
        earlier_text=gone,
        anchors=[vars(anchor) for anchor in anchors],  # plain fields; asdict() would deep-copy
        marked=marked,
    )


@bp.route("/terms")
def terms():
    """The terms of participation that every account accepts."""
    return render_template("papers/terms.html")


# --- Response to comments (imports kept here so that this block stands alone) -------------


def _responses_report(slug: str, label: str):
    from app.annotations import dispositions

    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    paper, versions = found
    chosen = next((v for v in versions if v.label == label), None)
    if chosen is None:
        abort(404)
    return paper, versions, dispositions.report(paper, versions, chosen)


@bp.route("/papers/<slug>/v/<label>/responses/")
def responses(slug: str, label: str):
    """What became of the threads on the version before this one, section by section, with
    the editors' answers: printable. The first version has no previous one and says so."""
    from app.models import DispositionOutcome

    paper, versions, report = _responses_report(slug, label)
    return render_template(
        "papers/responses.html",
        paper=paper,
        versions=versions,
        version=report.version,
        report=report,
        outcomes=[o.value for o in DispositionOutcome],
    )


@bp.route("/papers/<slug>/v/<label>/responses.csv")
def responses_csv(slug: str, label: str):
    """The same report as CSV: one record per thread; cells never run as formulas."""
    from flask import Response, url_for

    from app.annotations import dispositions

    paper, _versions, report = _responses_report(slug, label)
    lines = dispositions.csv_lines(
        report, lambda i: url_for("annotations.thread", annotation_id=i, _external=True)
    )
    name = f"{paper.slug}-{report.version.label}-responses.csv"
    return Response(
        "".join(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- end of response to comments ----------------------------------------------------------
