"""Reading pages: the list of papers, one version of a paper section by section, a version
to print (alone or with its comments as endnotes), the comparison of two versions and the
responses report (the report of answers: a page, CSV, `.docx` and `.odt`).

The blueprint keeps the name `papers`, so that its endpoints (`papers.paper`,
`papers.version`, ...) are the ones the templates and other areas link to.
"""

from __future__ import annotations

from datetime import date
from email.utils import parseaddr

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.annotations import dispositions, endnotes, margin_cache
from app.annotations import queries as discussion
from app.core import documents
from app.core.page_cache import public_page
from app.core.urls import absolute_url
from app.definitions.marking import DEFAULT_MODE, MODES, mark_sections
from app.models import DispositionOutcome, Paper, PaperVersion
from app.models.base import utcnow
from app.notifications.queries import paper_follows
from app.papers import queries
from app.papers.compare import compare_versions
from app.papers.source import is_http_url

bp = Blueprint("papers", __name__)

# `{% if url is http_url %}`: a link from a source's front matter is made only of an
# http(s) address (the importer refuses others; versions stored before it did stay safe).
bp.add_app_template_test(is_http_url, "http_url")


@bp.route("/")
@public_page(paper=False)
def index():
    """The papers, with their latest version and comment period."""
    return render_template("papers/index.html", papers=queries.paper_summaries())


@bp.route("/terms")
def terms():
    """The terms of participation that every account accepts."""
    return render_template("papers/terms.html")


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement that the EU Web Accessibility Directive asks of public
    sector sites, in the model of Commission Implementing Decision (EU) 2018/1523: the
    contact and the monitoring body come from the configuration, so that each operator
    states their own."""
    config = current_app.config
    return render_template(
        "papers/accessibility.html",
        contact=accessibility_contact(config),
        enforcement_body=config.get("ACCESSIBILITY_ENFORCEMENT_BODY") or "",
        enforcement_url=_http_url_or_empty(config.get("ACCESSIBILITY_ENFORCEMENT_URL")),
        prepared=_statement_date(config.get("ACCESSIBILITY_STATEMENT_DATE")),
    )


def accessibility_contact(config) -> str:
    """Where readers report a barrier: ACCESSIBILITY_CONTACT, else the address the site's
    mail comes from (its bare address, without the display name)."""
    configured = (config.get("ACCESSIBILITY_CONTACT") or "").strip()
    if configured:
        return parseaddr(configured)[1] or configured
    return parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1]


def _http_url_or_empty(url: str | None) -> str:
    """Only an http(s) address becomes a link; anything else is left out."""
    url = (url or "").strip()
    return url if is_http_url(url) else ""


def _statement_date(value) -> date | None:
    """The date the statement was prepared; a value that is no ISO date shows none."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _paper_or_404(slug: str) -> tuple[Paper, list[PaperVersion]]:
    found = queries.paper_with_versions(slug)
    if found is None:
        abort(404)
    return found


def _version_or_404(slug: str, label: str) -> queries.VersionLookup:
    found = queries.version_by_label(slug, label)
    if found is None or found.version is None:
        abort(404)
    return found


def _marking() -> dict[str, str]:
    return {"terms": _terms_mode()}


@bp.route("/papers/<slug>/")
@public_page(varies=_marking)
def paper(slug: str):
    """The latest published version of a paper."""
    paper, versions = _paper_or_404(slug)
    return _render_version(paper, versions, versions[-1])


@bp.route("/papers/<slug>/v/<label>/")
@public_page(varies=_marking)
def version(slug: str, label: str):
    """One published version of a paper."""
    found = _version_or_404(slug, label)
    return _render_version(found.paper, found.versions, found.version)


def _render_version(paper: Paper, versions: list[PaperVersion], version: PaperVersion):
    """A version's text with its margin, the passages its threads stand on, and the
    glossary's terms marked."""
    sections = queries.sections_of(version)
    margin = margin_cache.margin(version, current_user)
    # The passages of the threads drawn here; a section with more threads has its passages
    # fetched by the margin's script as the reader comes near it, so that the page stays
    # the same size however long the discussion grows.
    anchors = discussion.drawn_anchors(margin.first)
    passages = {
        key: url_for("annotations.passages", slug=paper.slug, label=version.label, key=key)
        for key, count in margin.threads.items()
        if key is not None and count > len(margin.first.get(key, ()))
    }
    # Threads whose section is gone: every one of them, at the end of the paper.
    gone = (
        discussion.threads(version, current_user, section_gone=True)
        if None in margin.threads
        else []
    )
    shown = [thread.root.id for listed in margin.first.values() for thread in listed]
    return render_template(
        "papers/version.html",
        answers=dispositions.current_dispositions(shown + [t.root.id for t in gone]),
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
        passages=passages,
        marked=mark_sections(sections, _terms_mode()),
        followed=paper_follows(current_user, paper, [s.key for s in sections]),
    )


@bp.route("/papers/<slug>/v/<label>/print/")
def printable(slug: str, label: str):
    """One version to print: the paper alone, or with `?comments=1` every thread the viewer
    may see after the text as numbered endnotes, marked in the text where they stand. A
    page of its own, so that the reading page prints the paper alone and stays light."""
    found = _version_or_404(slug, label)
    sections = queries.sections_of(found.version)
    with_comments = request.args.get("comments") == "1"
    return render_template(
        "papers/print.html",
        paper=found.paper,
        version=found.version,
        sections=sections,
        with_comments=with_comments,
        printed=(
            endnotes.printed_paper(found.version, sections, current_user) if with_comments else None
        ),
    )


def _terms_mode() -> str:
    """How glossary terms are marked in the text: `?terms=first|all|none`, remembered in a
    cookie for a year (secure where sessions are)."""
    asked = request.args.get("terms")
    remembered = request.cookies.get("terms")
    if asked in MODES and asked != remembered:
        secure = current_app.config.get("SESSION_COOKIE_SECURE", False)

        @after_this_request
        def remember(response):
            response.set_cookie(
                "terms", asked, max_age=365 * 24 * 3600, samesite="Lax", secure=secure
            )
            return response

    mode = asked if asked in MODES else remembered
    return mode if mode in MODES else DEFAULT_MODE


# --- compare two versions ------------------------------------------------------------------


@bp.route("/papers/<slug>/compare/")
def compare_pick(slug: str):
    """The version picker's GET form: `?from=&to=` → the comparison's own address.

    Without `from` the previous version to `to` is taken; without `to`, the latest."""
    _paper, versions = _paper_or_404(slug)
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
    paper, versions = _paper_or_404(slug)
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


# --- what became of the comments ---------------------------------------------------------


def _responses_report(slug: str, label: str):
    found = _version_or_404(slug, label)
    return (
        found.paper,
        found.versions,
        dispositions.report(found.paper, found.versions, found.version),
    )


@bp.route("/papers/<slug>/v/<label>/responses/")
def responses(slug: str, label: str):
    """What became of the threads on the version before this one, section by section, with
    the editors' answers: printable. The first version has no previous one and says so."""
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
    paper, _versions, report = _responses_report(slug, label)
    lines = dispositions.csv_lines(
        report, lambda i: absolute_url("annotations.thread", annotation_id=i)
    )
    return _attachment("".join(lines), "text/csv", paper, report.version, "csv")


def _attachment(body, mimetype: str, paper: Paper, version: PaperVersion, extension: str):
    name = f"{paper.slug}-{version.label}-responses.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _responses_document(slug: str, label: str, fmt: str) -> Response:
    paper, _versions, report = _responses_report(slug, label)
    html = render_template(
        "papers/responses_document.html",
        paper=paper,
        version=report.version,
        report=report,
        outcomes=[o.value for o in DispositionOutcome],
        today=utcnow().date(),
        xml_safe=documents.xml_safe,
    )
    return _attachment(
        documents.document(html, fmt), documents.MIMETYPES[fmt], paper, report.version, fmt
    )


@bp.route("/papers/<slug>/v/<label>/responses.docx")
def responses_docx(slug: str, label: str):
    """The same report as a Word document, made by pandoc: the form editors send to the
    Commission."""
    return _responses_document(slug, label, "docx")


@bp.route("/papers/<slug>/v/<label>/responses.odt")
def responses_odt(slug: str, label: str):
    """The same report as an OpenDocument text, made by pandoc."""
    return _responses_document(slug, label, "odt")
