"""The triage list of a version's threads (`app.editor.triage`): filter, sort, page, and
answer the chosen threads — or campaigns — together in one POST. Works without
JavaScript; the request boundary commits the answers, or rolls all of them back when one
is refused."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.annotations import dispositions
from app.annotations.forms import OUTCOME_HINTS, attach_error
from app.core.access import require
from app.core.i18n import gettext as _
from app.core.permissions import can_edit_papers
from app.editor import triage
from app.editor.triage_forms import BulkAnswerForm, TriageFilterForm
from app.editor.views import bp
from app.papers import queries as paper_queries

MAX_PAGE = 10_000


def _lookup(slug: str, label: str):
    found = paper_queries.version_by_label(slug, label) if "\x00" not in slug + label else None
    if found is None or found.version is None:
        abort(404)
    return found


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_PAGE else 1


def _chosen_ids() -> tuple[list[int], bool]:
    """The thread ids the form chose (single threads and whole campaigns), and whether
    every value was a number."""
    ids, clean = [], True
    values = request.form.getlist("threads") + [
        part for value in request.form.getlist("campaign") for part in value.split(",")
    ]
    for value in values:
        value = value.strip()
        if value.isdigit() and len(value) <= 10:
            ids.append(int(value))
        else:
            clean = False
    return ids, clean


@bp.route("/papers/<slug>/v/<label>/threads", methods=["GET", "POST"])
@dispositions.answer_limit
@require(can_edit_papers)
def triage_list(slug: str, label: str):
    """Every thread shown on a version, with its section, passage, kind, author's
    stakeholder type and country, replies, flags and answer; filtered and sorted by a GET
    form, a page at a time, campaigns shown once. A POST answers the chosen threads
    together, through the one-thread service, in one transaction."""
    found = _lookup(slug, label)
    version = found.version
    sections = paper_queries.sections_of(version)
    filter_form = TriageFilterForm(request.args, sections, triage.countries(version))
    later, latest = triage.answering_versions(found.versions, version)
    chosen: set[int] = set()
    status = 200
    if request.method == "POST":
        answer_form = BulkAnswerForm(versions=later)
        ids, clean = _chosen_ids()
        chosen = set(ids)
        status = _answer(answer_form, version, later, ids, clean)
        if status == 303:
            return redirect(
                url_for(
                    "editor.triage_list",
                    slug=found.paper.slug,
                    label=version.label,
                    **filter_form.query_args(),
                ),
                303,
            )
    else:
        answer_form = BulkAnswerForm(formdata=None, versions=later, latest=latest)
    listing = triage.listing(version, filter_form.filters(), _page_number())
    return render_template(
        "editor/triage.html",
        paper=found.paper,
        version=version,
        sections={s.key: s for s in sections},
        filter_form=filter_form,
        answer_form=answer_form,
        listing=listing,
        chosen=chosen,
        query_args=filter_form.query_args(),
        outcome_hints={o.value: hint for o, hint in OUTCOME_HINTS.items()},
    ), status


def _answer(form: BulkAnswerForm, version, later, ids: list[int], clean: bool) -> int:
    """Answer the chosen threads: 303 when done, else the status of the refusal (the
    form then carries why; the request boundary rolls back whatever was flushed)."""
    if not form.validate_on_submit():
        return 422
    if not clean:
        form.form_errors.append(_("Choose threads from the list."))
        return 422
    answering = None
    if form.version.data:
        answering = next((v for v in later if v.label == form.version.data), None)
        if answering is None:
            form.version.errors = [*form.version.errors, _("Choose one of the listed versions.")]
            return 422
    try:
        threads = triage.chosen_threads(version, ids)
        triage.answer_together(
            current_user._get_current_object(),
            threads,
            form.outcome.data,
            form.response.data or "",
            answering,
            form.language.data,
        )
    except triage.BulkRefusal as refusal:
        for thread_id, error in refusal.errors.items():
            if thread_id == 0:
                form.form_errors.append(error.message)
            elif error.field in ("outcome", "response", "language"):
                attach_error(form, error)
            else:
                form.form_errors.append(
                    _("Thread #%(id)d: %(why)s", id=thread_id, why=error.message)
                )
        return 422
    flash(_("The answer is published on %(n)d threads.", n=len(threads)), "success")
    return 303
