"""Editor pages."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from app.core.access import require
from app.core.i18n import gettext as _
from app.core.permissions import can_edit_papers
from app.editor import services
from app.editor.forms import CommentPeriodForm
from app.extensions import db
from app.models import Paper
from app.papers import queries

bp = Blueprint("editor", __name__)


@bp.route("/")
@require(can_edit_papers)
def index():
    """Every paper with its versions and comment period, for the series editors."""
    return render_template("editor/index.html", papers=queries.papers_with_versions())


@bp.route("/papers/<slug>/comment-period", methods=["GET", "POST"])
@require(can_edit_papers)
def comment_period(slug: str):
    """Open, close or move the period in which a paper takes new annotations."""
    paper = db.session.scalar(select(Paper).where(Paper.slug == slug))
    if paper is None:
        abort(404)
    form = CommentPeriodForm(data={"opens": paper.comment_opens, "closes": paper.comment_closes})
    if form.validate_on_submit():
        services.set_comment_period(paper, form.opens.data, form.closes.data)
        db.session.commit()
        flash(_("The comment period of %(title)s is saved.", title=paper.display_title), "success")
        return redirect(url_for("editor.index"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("editor/comment_period.html", paper=paper, form=form), status
