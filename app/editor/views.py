"""Editor pages."""

from flask import Blueprint, render_template

from app.core.access import require
from app.core.permissions import can_edit_papers
from app.papers import queries

bp = Blueprint("editor", __name__)


@bp.route("/")
@require(can_edit_papers)
def index():
    """Every paper with its versions and comment period, for the series editors."""
    return render_template("editor/index.html", papers=queries.papers_with_versions())
