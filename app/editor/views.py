"""Editor pages: the papers and their comment periods, and publishing a new version
(preview, then publish). The request boundary (`app.core.transaction`) commits what a
successful page stored."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.core.access import require
from app.core.i18n import gettext as _
from app.core.permissions import can_edit_papers
from app.editor import documents, publishing, services
from app.editor.forms import CommentPeriodForm, ConfirmPublishForm, PublishForm
from app.extensions import db
from app.models import Paper
from app.papers import queries
from app.papers.source import SourceError

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
    paper = db.first_or_404(select(Paper).where(Paper.slug == slug))
    form = CommentPeriodForm(data={"opens": paper.comment_opens, "closes": paper.comment_closes})
    if form.validate_on_submit():
        services.set_comment_period(paper, form.opens.data, form.closes.data)
        flash(_("The comment period of %(title)s is saved.", title=paper.display_title), "success")
        return redirect(url_for("editor.index"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("editor/comment_period.html", paper=paper, form=form), status


@bp.route("/papers/<slug>/publish", methods=["GET", "POST"])
@require(can_edit_papers)
def publish(slug: str):
    """Publish a new version: the source first goes to a preview that stores nothing
    (sections changed, where each thread will land, or the errors with their lines);
    from there one button publishes exactly the previewed source, in one transaction."""
    paper = db.first_or_404(select(Paper).where(Paper.slug == slug))
    if request.method == "POST" and request.form.get("action") == "publish":
        return _publish_previewed(paper)
    form = PublishForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("editor/publish.html", paper=paper, form=form), status
    try:
        text, filename = form.source(document=_document_source(paper, form))
    except documents.ConversionError as error:
        why = _("The document cannot be converted: %(why)s.", why=str(error))
        form.source_file.errors = [*form.source_file.errors, why]
        return render_template("editor/publish.html", paper=paper, form=form), 422
    except ValueError as error:
        form.source_file.errors = [*form.source_file.errors, str(error)]
        return render_template("editor/publish.html", paper=paper, form=form), 422
    result = publishing.preview(paper.slug, text, filename, change_note=form.change_note.data)
    # The source comes back in the text box, to be corrected there and previewed again:
    # as written when it has an error, as it would be published otherwise.
    form.source_text.data = result.parsed.source if result.ok else text
    form.change_note.data = "" if result.ok else form.change_note.data
    return _render_preview(paper, result, form)


def _document_source(paper: Paper, form: PublishForm):
    """What makes a source of an uploaded .docx or .odt: the document's text, the latest
    version's front matter with the form's version and change note."""

    def make(data: bytes, filename: str) -> str:
        return documents.source_from_document(
            paper.slug,
            data,
            filename,
            version=form.version.data,
            change_note=form.change_note.data,
        )

    return make


def _render_preview(paper: Paper, result: publishing.Preview, form: PublishForm | None = None,
                    notice: str | None = None):  # fmt: skip
    """The preview page: 200 with a Publish button, or 422 listing the errors (or with
    `notice`, why what was sent was not published)."""
    confirm = None
    if result.ok:
        confirm = ConfirmPublishForm(
            formdata=None,
            data={
                "source": result.parsed.source,
                "sha256": result.sha256,
                "filename": result.filename,
            },
        )
    if form is None:
        form = PublishForm(formdata=None, data={"source_text": result.source})
    return render_template(
        "editor/preview.html",
        paper=paper,
        preview=result,
        confirm=confirm,
        form=form,
        notice=notice,
    ), (200 if result.ok and not notice else 422)


def _publish_previewed(paper: Paper):
    confirm = ConfirmPublishForm()
    if not confirm.validate_on_submit():
        flash(_("Nothing was published: the preview had expired. Please preview again."), "error")
        return redirect(url_for("editor.publish", slug=paper.slug), 303)
    filename = confirm.filename.data or _("pasted source")
    # Refused, the preview comes back with a 422, and the request stores nothing.
    try:
        version, counts = publishing.publish(
            current_user._get_current_object(),
            paper.slug,
            confirm.source.data,
            filename,
            expected_sha256=confirm.sha256.data,
        )
    except publishing.PreviewMismatch as error:
        result = publishing.preview(paper.slug, confirm.source.data, filename)
        return _render_preview(paper, result, notice=str(error))
    except SourceError as error:
        result = publishing.preview(paper.slug, confirm.source.data, filename)
        if result.error is None:
            result.error = error
        return _render_preview(paper, result)
    carried = sum(counts.values())
    flash(
        _(
            "Version %(v)s of %(title)s is published. Threads carried forward: %(n)d "
            "(%(exact)d exact, %(moved)d moved, %(fuzzy)d fuzzy, %(applied)d applied, "
            "%(orphaned)d orphaned).",
            v=version.label,
            title=paper.display_title,
            n=carried,
            **counts,
        ),
        "success",
    )
    return redirect(url_for("papers.version", slug=paper.slug, label=version.label), 303)
