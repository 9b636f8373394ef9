"""Editor pages of one version's discussion: the dashboard (charts drawn on the server,
each with its data as a table) and the report of answers, as a page, CSV, `.docx` and
`.odt`. They only read; the routes live on the editors' blueprint."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import format_date, get_locale

from app.core.access import require
from app.core.i18n import gettext as _
from app.core.labels import stakeholder_label
from app.core.permissions import can_edit_papers
from app.core.urls import absolute_url
from app.editor import answers, charts, dashboard
from app.editor.views import bp
from app.models.base import utcnow
from app.papers import queries

VERSION = "/papers/<slug>/v/<label>"


def _version_or_404(slug: str, label: str) -> queries.VersionLookup:
    found = queries.version_by_label(slug, label)
    if found is None or found.version is None:
        abort(404)
    return found


def _country_name(code: str | None) -> str:
    """A country's name in the page's language ("Germany" for DE), its code when unknown."""
    if not code:
        return _("Not given")
    return get_locale().territories.get(code.upper(), code)


@bp.route(f"{VERSION}/dashboard")
@require(can_edit_papers)
def dashboard_page(slug: str, label: str):
    """What was said on a version: per section and kind, over time, by stakeholder type
    and country, its density along the text, the most discussed passages and how many
    threads wait for an answer. A fixed number of queries, whatever the discussion."""
    found = _version_or_404(slug, label)
    figures = dashboard.build(found.version)
    sections = figures.all_sections
    period_format = "d MMM y"
    timeline = [(format_date(day, period_format), n) for day, n in figures.over_time]
    return render_template(
        "editor/dashboard.html",
        paper=found.paper,
        version=found.version,
        figures=figures,
        sections=sections,
        per_section=charts.horizontal([(s.heading, s.contributions) for s in sections]),
        over_time=charts.columns(timeline),
        timeline=timeline,
        by_stakeholder=charts.horizontal(
            [(stakeholder_label(kind), n) for kind, n in figures.by_stakeholder]
        ),
        by_country=charts.horizontal(
            [(_country_name(country), n) for country, n in figures.by_country]
        ),
        heat=charts.heat_strip([(s.key, s.heading, s.length, s.density) for s in figures.sections]),
    )


def _report(slug: str, label: str):
    found = _version_or_404(slug, label)
    return found, answers.build(found.version)


@bp.route(f"{VERSION}/report")
@require(can_edit_papers)
def report(slug: str, label: str):
    """The threads of a version with the editors' answers, section by section, with
    links to the same report as CSV, .docx and .odt."""
    found, report = _report(slug, label)
    return render_template(
        "editor/report.html", paper=found.paper, version=found.version, report=report
    )


def _attachment(body, mimetype: str, found, extension: str) -> Response:
    name = f"{found.paper.slug}-{found.version.label}-answers.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route(f"{VERSION}/report.csv")
@require(can_edit_papers)
def report_csv(slug: str, label: str):
    """The report of answers as CSV: a record per thread; no cell runs as a formula."""
    found, report = _report(slug, label)
    lines = answers.csv_lines(report, lambda i: absolute_url("annotations.thread", annotation_id=i))
    return _attachment("".join(lines), "text/csv", found, "csv")


def _document(slug: str, label: str, fmt: str) -> Response:
    found, report = _report(slug, label)
    html = render_template(
        "editor/report_document.html",
        paper=found.paper,
        version=found.version,
        report=report,
        today=utcnow().date(),
        xml_safe=answers.xml_safe,
    )
    return _attachment(answers.document(html, fmt), answers.MIMETYPES[fmt], found, fmt)


@bp.route(f"{VERSION}/report.docx")
@require(can_edit_papers)
def report_docx(slug: str, label: str):
    """The report of answers as a Word document (made by pandoc), for the Commission."""
    return _document(slug, label, "docx")


@bp.route(f"{VERSION}/report.odt")
@require(can_edit_papers)
def report_odt(slug: str, label: str):
    """The report of answers as an OpenDocument text (made by pandoc)."""
    return _document(slug, label, "odt")
