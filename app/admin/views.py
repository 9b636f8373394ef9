"""The administrators' pages: the mail outbox (`/admin/mail`) and its "retry now"; the
people (`/admin/people`), each account's page and its role change.

Views are thin: authorise (`require(can_see_outbox)`), validate the filter or the form,
call one service, render or redirect (303); the request's work is committed once it
succeeded (`app.core.transaction`), and a retried message is handed over right after
that commit, before the redirect is answered, so the page it leads back to shows how it
went. The page lists recipients, subjects and delivery errors, never what a message
says: bodies can hold one-time links (address confirmation, password reset).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import people as people_service
from app.admin import services
from app.admin.forms import (
    ROLE_ERROR_FIELDS,
    OutboxFilterForm,
    PeopleFilterForm,
    RetryForm,
    RoleChangeForm,
)
from app.admin.labels import mail_status_label
from app.admin.services import OutboxError
from app.core import transaction
from app.core.access import require
from app.core.errors import ServiceError
from app.core.forms import attach_error
from app.core.i18n import gettext as _
from app.core.labels import role_label
from app.core.mail import MAX_ATTEMPTS
from app.core.permissions import can_manage_roles, can_see_outbox
from app.core.urls import safe_next
from app.models import MailStatus, Role, User
from app.moderation.views import state_in_words

bp = Blueprint("admin", __name__)
PAGE_SIZE = 50
MAX_PAGE = 100_000


@bp.context_processor
def _helpers():
    return {
        "mail_status_label": mail_status_label,
        "MailStatus": MailStatus,
        "state_in_words": state_in_words,
    }


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


# --- people and their roles -------------------------------------------------------------


@bp.route("/people")
@require(can_manage_roles)
def people():
    """The accounts, by name, found by name or e-mail address and filtered by role, each
    with a link to its page where its role is changed."""
    filters = PeopleFilterForm(request.args)
    valid = filters.validate()
    page = _page()
    result = None
    if valid:
        role = Role(filters.role.data) if filters.role.data else None
        result = people_service.people_page(
            filters.q.data or "", role, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    args = {"q": filters.q.data, "role": filters.role.data} if valid else {}
    return render_template(
        "admin/people.html",
        filters=filters,
        result=result,
        page=page,
        page_size=PAGE_SIZE,
        args={name: value for name, value in args.items() if value},
    ), (200 if valid else 400)


def _load_person(user_id: int) -> User:
    user = people_service.person(user_id)
    if user is None:
        abort(404)
    return user


def _person_page(user: User, form: RoleChangeForm, status: int = 200):
    return render_template(
        "admin/person.html",
        user=user,
        form=form,
        own=user.id == current_user.id,
        changes=people_service.role_changes(user),
    ), status


@bp.route("/people/<int:user_id>")
@require(can_manage_roles)
def person(user_id: int):
    """One account: its role, the form that changes it, and its earlier role changes."""
    user = _load_person(user_id)
    form = RoleChangeForm(formdata=None)
    form.role.data = user.role.value
    return _person_page(user, form)


@bp.route("/people/<int:user_id>/role", methods=["POST"])
@require(can_manage_roles)
def change_role(user_id: int):
    """Give the account another role, with a reason; logged, and in force from the
    account's next request."""
    user = _load_person(user_id)
    form = RoleChangeForm()
    if not form.validate_on_submit():
        return _person_page(user, form, 422)
    own = user.id == current_user.id
    try:
        people_service.change_role(
            current_user, user, form.role.data, form.reason.data, confirmed=form.confirm.data
        )
    except ServiceError as error:
        transaction.discard()
        if error.status == 404:
            abort(404)
        attach_error(form, error, ROLE_ERROR_FIELDS)
        return _person_page(user, form, error.status)
    flash(_("%(name)s's role is now: %(role)s.", name=user.display_name,
            role=role_label(user.role)), "success")  # fmt: skip
    if own and not can_manage_roles(user):
        # Stepped down: this area is closed to them from now on.
        return redirect(url_for("accounts.profile"), 303)
    return redirect(url_for("admin.person", user_id=user.id), 303)
