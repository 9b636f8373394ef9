"""Editor pages of one version's discussion: the dashboard (charts drawn on the server,
each with its data as a table). It only reads; the route lives on the editors' blueprint.
The report of answers is the public response to comments of the next version
(`papers.responses`), which the dashboard links to."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import format_date, get_locale

from app.core.access import require
from app.core.i18n import gettext as _
from app.core.labels import stakeholder_label
from app.core.permissions import can_edit_papers
from app.editor import charts, dashboard
from app.editor.views import bp
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
    later = [v for v in found.versions if v.sequence > found.version.sequence]
    return render_template(
        "editor/dashboard.html",
        paper=found.paper,
        version=found.version,
        # The report of answers to this version's threads is the next version's.
        answering=min(later, key=lambda v: v.sequence) if later else None,
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
