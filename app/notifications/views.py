"""Pages of notifications: the list, opening and marking read, follow buttons, and the
one-click unsubscribe link of every notification e-mail.

Views are thin: load (404), validate, call one service, redirect or render; the request
boundary commits (`app.core.transaction`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.core.i18n import gettext as _
from app.core.permissions import is_author, is_moderator
from app.core.urls import safe_next
from app.extensions import csrf, db
from app.models import FollowTarget, Paper, PaperVersion, Section, Term, TermStatus
from app.notifications import queries, services, settings
from app.notifications.forms import ConfirmForm, FollowForm
from app.notifications.settings import NotificationError

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def bell():
    """The header's bell: the unread count of whoever is logged in (one query), lazily,
    so pages that do not show the header pay nothing."""

    def unread() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        return queries.unread_count(current_user)

    return {"unread_notifications": unread}


@bp.get("/notifications")
@login_required
def index():
    """One's notifications, newest first, a page at a time (`?page=`)."""
    number = request.args.get("page", 1, type=int)
    page = queries.page_of(current_user, number)
    if number > 1 and not page.items:
        abort(404)
    return render_template("notifications/index.html", page=page, form=ConfirmForm())


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_item(notification_id: int):
    """Open a notification from the list: it is marked read and leads to its target."""
    notification = queries.own(current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(current_user, notification)
    item = queries.describe(notification, queries.load([notification]), current_user)
    if not item.available:
        flash(_("What this notification pointed at is no longer available."), "info")
        return redirect(url_for("notifications.index"))
    return redirect(item.path(), code=303)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    """Mark one notification read."""
    notification = queries.own(current_user, notification_id)
    if notification is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_read(current_user, notification)
    return redirect(_back(f"{url_for('notifications.index')}#n{notification_id}"), code=303)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    """Mark every notification read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.mark_all_read(current_user)
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"), code=303)


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


# --- unsubscribing by the link of an e-mail --------------------------------------------------


def _unsubscription(token: str):
    try:
        return settings.read_unsubscribe_token(token), None
    except NotificationError as error:
        return None, error


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST `List-Unsubscribe=One-Click` with no CSRF token (RFC 8058)
def unsubscribe(token: str):
    """GET: a page with a confirm button (link scanners fetch links; a GET changes
    nothing). POST: turn that kind of e-mail (or all) off; no log-in needed."""
    found, error = _unsubscription(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", error=error), 400
    kind_label = queries.kind_label(found.kind) if found.kind else None
    if request.method == "POST":
        settings.unsubscribe(found)
        return render_template("notifications/unsubscribe.html", done=True, kind=kind_label)
    return render_template("notifications/unsubscribe.html", token=token, kind=kind_label)


# --- follows ----------------------------------------------------------------------------------


def _follow_form() -> FollowForm:
    form = FollowForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def _toggle(form: FollowForm, target: FollowTarget, **names) -> None:
    """Follow, or with `follow=off` stop following."""
    if form.follow.data == "off":
        key = settings.follow_key(target, **names)
        settings.unfollow(current_user, key)
        flash(_("You no longer follow this."), "info")
    else:
        settings.follow(current_user, target, **names)
        flash(_("You follow this now: new contributions are in your notifications."), "success")


def _paper_or_404(slug: str) -> Paper:
    paper = db.session.scalar(select(Paper).where(Paper.slug == slug))
    if paper is None:
        abort(404)
    return paper


@bp.post("/papers/<slug>/follow")
@login_required
def follow_paper(slug: str):
    """Follow a paper (or stop following it)."""
    paper = _paper_or_404(slug)
    form = _follow_form()
    _toggle(form, FollowTarget.PAPER, paper_id=paper.id)
    return redirect(safe_next(form.next.data) or url_for("papers.paper", slug=slug), code=303)


@bp.post("/papers/<slug>/sections/<key>/follow")
@login_required
def follow_section(slug: str, key: str):
    """Follow a section of a paper, by its key across versions (or stop following it)."""
    paper = _paper_or_404(slug)
    exists = db.session.scalar(
        select(Section.id)
        .join(PaperVersion, PaperVersion.id == Section.version_id)
        .where(PaperVersion.paper_id == paper.id, Section.key == key)
        .limit(1)
    )
    if exists is None:
        abort(404)
    form = _follow_form()
    _toggle(form, FollowTarget.SECTION, paper_id=paper.id, section_key=key)
    default = url_for("papers.paper", slug=slug, _anchor=key)
    return redirect(safe_next(form.next.data) or default, code=303)


@bp.post("/glossary/<slug>/follow")
@login_required
def follow_term(slug: str):
    """Follow a glossary term: new definitions proposed for it (or stop following it)."""
    term = db.session.scalar(select(Term).where(Term.slug == slug))
    if term is None or not (
        term.status is TermStatus.PUBLISHED
        or is_author(current_user, term)
        or is_moderator(current_user)
    ):
        abort(404)
    form = _follow_form()
    _toggle(form, FollowTarget.TERM, term_id=term.id)
    default = url_for("definitions.term", slug=slug)
    return redirect(safe_next(form.next.data) or default, code=303)


@bp.post("/account/follows/<int:follow_id>/delete")
@login_required
def unfollow(follow_id: int):
    """Stop following, from the list on the account page."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not settings.unfollow_by_id(current_user, follow_id):
        abort(404)
    flash(_("You no longer follow this."), "info")
    return redirect(url_for("accounts.profile", _anchor="notifications"), code=303)
