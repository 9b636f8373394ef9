"""The administrators' pages: the mail outbox (`/admin/mail`) and its "retry now".

Views are thin: authorise (`require(can_see_outbox)`), validate the filter or the form,
call one service, render or redirect (303); the request's work is committed once it
succeeded (`app.core.transaction`), and a retried message is handed over right after
that commit, before the redirect is answered, so the page it leads back to shows how it
went. The page lists recipients, subjects and delivery errors, never what a message
says: bodies can hold one-time links (address confirmation, password reset).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.admin import services
from app.admin.forms import OutboxFilterForm, RetryForm
from app.admin.labels import mail_status_label
from app.admin.services import OutboxError
from app.core import transaction
from app.core.access import require
from app.core.i18n import gettext as _
from app.core.mail import MAX_ATTEMPTS
from app.core.permissions import can_see_outbox
from app.core.urls import safe_next
from app.models import MailStatus

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50
MAX_PAGE = 100_000


@bp.context_processor
def _helpers():
    return {"mail_status_label": mail_status_label, "MailStatus": MailStatus}


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


@bp.route("/mail")
@require(can_see_outbox)
def outbox():
    """Every message the site sent or will send, newest first, by status, with its
    delivery so far and a "retry now" button on those not yet sent."""
    filters = OutboxFilterForm(request.args)
    valid = filters.validate()
    page = _page()
    result = None
    if valid:
        status = MailStatus(filters.status.data) if filters.status.data else None
        result = services.outbox_page(status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    args = {"status": filters.status.data} if valid and filters.status.data else {}
    return render_template(
        "admin/mail.html",
        filters=filters,
        result=result,
        page=page,
        page_size=PAGE_SIZE,
        args=args,
        retry_form=RetryForm(formdata=None),
        max_attempts=MAX_ATTEMPTS,
        here=request.full_path.rstrip("?"),
    ), (200 if valid else 400)


@bp.route("/mail/<int:mail_id>/retry", methods=["POST"])
@require(can_see_outbox)
def retry(mail_id: int):
    """Hand a pending or failed message over again now."""
    form = RetryForm()
    back = safe_next(form.next.data) or url_for("admin.outbox")
    if not form.validate_on_submit():
        flash(_("The form had expired; try again."), "error")
        return redirect(back, 303)
    try:
        row = services.retry(mail_id)
    except OutboxError as error:
        transaction.discard()
        flash(error.message, "error")
        return redirect(back, 303)
    if row is None:
        abort(404)
    flash(
        _("The message to %(to)s was handed over again; its status below says how it went.",
          to=row.recipient),
        "info",
    )  # fmt: skip
    return redirect(back, 303)
