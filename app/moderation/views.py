"""Moderation pages: the queue, decisions, the log (and its CSV export), and accounts.

Views are thin: load (404), authorise (`require(can_moderate)`; the services check the
rest), validate the form, call one service, redirect (303); the request's work is
committed once it succeeded (`app.core.transaction`). Every page
costs a fixed number of queries however many items it lists.

A decision from the queue returns to the queue with `after=1`, and the page puts the
keyboard focus on the next item's reason, so that a moderator works through the queue
with the keyboard alone. A refused decision returns with `focus=<item>` instead.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date, format_timedelta
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core import transaction
from app.core.access import require
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.core.permissions import can_decide_on, can_moderate, can_sanction
from app.core.urls import safe_next
from app.extensions import db
from app.models import Annotation, ModerationAction, ModerationLog, TargetKind, User
from app.models.base import utcnow
from app.moderation import queries, services
from app.moderation.forms import (
    ACCOUNT_REASON_HINT,
    PRESET_REASON_HINT,
    REASON_HINT,
    AccountDecisionForm,
    BulkApprovalForm,
    DecisionForm,
    LogFilterForm,
    QueueFilterForm,
    attach_error,
    target_from,
)
from app.moderation.labels import PRESET_REASONS, action_past_label, state_label
from app.moderation.services import ModerationError
from app.moderation.states import AccountState, ModerationState, is_deleted, is_gone, is_published
from app.moderation.targets import CONTENT_TYPES
from app.papers.queries import VERSION_COLUMNS

bp = Blueprint("moderation", __name__)
PAGE_SIZE = 50
MAX_PAGE = 100_000
CSV_BATCH = 500
RECENT = 20


def _button_label(action: ModerationAction, same: bool) -> str:
    labels = {
        (ModerationAction.APPROVE, False): _("Approve"),
        (ModerationAction.KEEP_PUBLISHED, True): _("Keep published"),
        (ModerationAction.REJECT, False): _("Reject"),
        (ModerationAction.HIDE, False): _("Hide"),
        (ModerationAction.HIDE, True): _("Keep hidden"),
        (ModerationAction.RESTORE, False): _("Restore"),
    }
    return labels[(action, same)]


def decisions_for(item, has_open_flags: bool) -> list[tuple[str, str]]:
    """(action, button label) of each content decision that applies to the item now."""
    state = ModerationState.of(item.status)
    found = []
    for action in services.CONTENT_ACTIONS:
        new = services.TRANSITIONS[action].get(state) if state is not None else None
        if new is None or (new is state and not has_open_flags):
            continue
        found.append((action.value, _button_label(action, new is state)))
    return found


def account_decisions(moderator, user) -> list[str]:
    """The account actions that apply to `user` now, if `moderator` may sanction it."""
    if user.anonymised_at is not None or not can_sanction(moderator, user):
        return []
    suspension = ModerationAction.REINSTATE if user.is_suspended else ModerationAction.SUSPEND
    restriction = ModerationAction.UNRESTRICT if user.is_restricted else ModerationAction.RESTRICT
    return [suspension.value, restriction.value]


def state_in_words(user: User) -> str:
    """An account's state in words: "suspended until 30 November 2026", "restricted"."""
    words = []
    if user.is_suspended and user.suspended_until is not None:
        words.append(_("suspended until %(date)s", date=format_date(user.suspended_until, "long")))
    elif user.is_suspended:
        words.append(_("suspended indefinitely"))
    if user.is_restricted:
        words.append(state_label(AccountState.RESTRICTED))
    return ", ".join(words) or state_label(AccountState.ACTIVE)


def joined(user: User) -> str:
    """ "joined 3 days ago": how long an account has existed, in words."""
    return _("joined %(ago)s", ago=format_timedelta(user.created_at - utcnow(), add_direction=True))


@bp.context_processor
def _helpers():
    return {
        "decisions_for": decisions_for,
        "account_decisions": account_decisions,
        "account_state": services.account_state,
        "state_in_words": state_in_words,
        "joined": joined,
        "reason_hint": REASON_HINT,
        "preset_reason_hint": PRESET_REASON_HINT,
        "preset_reasons": PRESET_REASONS,
        "account_reason_hint": ACCOUNT_REASON_HINT,
        "content_label": lambda kind: str(CONTENT_TYPES[TargetKind(kind)].label),
        "glossary_path": queries.glossary_path,
        "TargetKind": TargetKind,
        "ModerationState": ModerationState,
        "state_of": ModerationState.of,
        "is_published": is_published,
        "is_deleted": is_deleted,
        "is_gone": is_gone,
    }


def _log_rows(rows) -> dict:
    """Log rows for a template (`rows`), with where each glossary item among them is read
    (`paths`): one query, none without any."""
    paths = queries.glossary_paths([(row.target_kind, row.target_id) for row in rows])
    return {"rows": rows, "paths": paths}


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def _with_args(target: str, **args: str | None) -> str:
    """`target` with some query arguments replaced (None removes one)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in args]
    query += [(k, v) for k, v in args.items() if v is not None]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _back(form_next: str | None) -> str:
    return safe_next(form_next) or url_for("moderation.index")


def _describe(row) -> str:
    """ "annotation by NAME" / "account of NAME", for messages after a decision."""
    subject = db.session.get(User, row.subject_id) if row.subject_id else None
    name = subject.display_name if subject else _("someone")
    if row.target_kind is TargetKind.USER:
        return _("account of %(name)s", name=name)
    ct = CONTENT_TYPES.get(row.target_kind)
    return _("%(what)s by %(name)s", what=ct.label if ct else row.target_kind.value, name=name)


def _flash_decided(row: ModerationLog) -> None:
    """ "Approved: annotation by NAME." after a decision."""
    flash(_("%(done)s: %(what)s.", done=action_past_label(row.action), what=_describe(row)),
          "success")  # fmt: skip


def _form_problem(form) -> str:
    messages = [m for errors in form.errors.values() for m in errors]
    return " ".join(str(m) for m in messages) or _("The form was incomplete; try again.")


# --- the queue ----------------------------------------------------------------------------


@bp.route("/")
@require(can_moderate)
def index():
    """What waits for a decision, oldest first, each item with its context and a form."""
    filters = QueueFilterForm(request.args)
    valid = filters.validate()
    page = _page()
    result = None
    if valid:
        result = queries.queue(
            state=filters.state.data,
            kind=filters.kind_value,
            reason=filters.reason_value,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    args = {k: v for k, v in request.args.items() if k in ("state", "kind", "reason") and v}
    entries = result.entries if result else []
    decidable = [
        e.key
        for e in entries
        if can_decide_on(current_user, e.item) and decisions_for(e.item, bool(e.flags))
    ]
    return render_template(
        "moderation/queue.html",
        filters=filters,
        result=result,
        page=page,
        args=args,
        after=request.args.get("after") == "1",
        autofocus_key=_focus_key(decidable),
        selectable=any(e.pending and e.key in decidable for e in entries),
        here=request.full_path.rstrip("?"),
    ), (200 if valid else 400)


def _focus_key(decidable: list[str]) -> str | None:
    """Whose reason gets the focus: after a decision, the next item's; after a refusal,
    the refused item's if it still waits. On a first visit, none (the page starts at the top)."""
    focus = request.args.get("focus")
    if focus in decidable:
        return focus
    if request.args.get("after") == "1" or focus:
        return decidable[0] if decidable else None
    return None


@bp.route("/decide", methods=["POST"])
@require(can_moderate)
def decide():
    """Approve, reject, hide or restore one item (or act on an account) and log it."""
    form = DecisionForm()
    back = _back(form.next.data)
    target_value = form.target.data or ""
    if not form.validate_on_submit():
        flash(_form_problem(form), "error")
        return redirect(_with_args(back, after=None, focus=target_value), 303)
    try:
        target = target_from(target_value)
        action = services.parse_action(form.action.data)
        row = services.decide(current_user, target, action, form.reason_text())
    except ModerationError as error:
        transaction.discard()
        flash(error.message, "error")
        return redirect(_with_args(back, after=None, focus=target_value), 303)
    _flash_decided(row)
    return redirect(_with_args(back, after="1", focus=None), 303)


@bp.route("/bulk", methods=["POST"])
@require(can_moderate)
def bulk():
    """Approve several pending items with one reason; each succeeds or fails alone."""
    form = BulkApprovalForm()
    back = _back(form.next.data)
    values = request.form.getlist("targets")
    if not values:
        flash(_("Select at least one item to approve."), "error")
        return redirect(_with_args(back, after=None, focus=None), 303)
    if not form.validate_on_submit():
        flash(_form_problem(form), "error")
        return redirect(_with_args(back, after=None, focus=None), 303)
    targets, failed = [], []
    for value in values[: PAGE_SIZE * 2]:
        try:
            targets.append(target_from(value))
        except ModerationError as error:
            failed.append((value, error.message))
    try:
        done, refused = services.decide_many(
            current_user, targets, ModerationAction.APPROVE, form.reason.data
        )
    except ModerationError as error:
        transaction.discard()
        flash(error.message, "error")
        return redirect(_with_args(back, after=None, focus=None), 303)
    failed += [(f"{t.kind.value}:{t.id}", e.message) for t, e in refused]
    if done:
        flash(ngettext("Approved %(num)d item.", "Approved %(num)d items.", len(done)), "success")
    for value, message in failed:
        flash(_("Not approved: %(item)s. %(message)s", item=value, message=message), "error")
    return redirect(_with_args(back, after="1" if done else None, focus=None), 303)


@bp.route("/items/<kind>/<int:item_id>")
@require(can_moderate)
def item(kind: str, item_id: int):
    """One item with the queue's context, its open flags and its history in the log."""
    try:
        target_kind = TargetKind(kind)
    except ValueError:
        abort(404)
    found = queries.entry(target_kind, item_id)
    if found is None:
        abort(404)
    history = db.session.scalars(
        select(ModerationLog)
        .where(ModerationLog.target_kind == target_kind, ModerationLog.target_id == item_id)
        .options(selectinload(ModerationLog.moderator), selectinload(ModerationLog.subject))
        .order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
    ).all()
    return render_template(
        "moderation/item.html", entry=found, rows=history, here=request.full_path.rstrip("?")
    )


# --- the log ------------------------------------------------------------------------------


def _log_filters() -> LogFilterForm:
    return LogFilterForm(request.args, moderators=queries.moderators())


@bp.route("/log")
@require(can_moderate)
def log():
    """Every decision, newest first, filtered by action, type, moderator, account or date."""
    form = _log_filters()
    page = _page()
    rows, total = [], 0
    valid = form.validate()
    if valid:
        rows, total = queries.log_entries(
            form.filters(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    return render_template(
        "moderation/log.html",
        form=form,
        **_log_rows(rows),
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        args=form.args(),
        valid=valid,
    ), (200 if valid else 400)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = (
    "id",
    "time",
    "moderator_id",
    "moderator",
    "target_type",
    "target_id",
    "subject_id",
    "action",
    "old_state",
    "new_state",
    "reason",
)


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


@bp.route("/log.csv")
@require(can_moderate)
def log_csv():
    """The log with the same filters, as CSV: every matching row, streamed in batches."""
    form = _log_filters()
    if not form.validate():
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        return Response(
            _("Invalid filters: %(problems)s", problems=problems) + "\n", 400, mimetype="text/plain"
        )
    filters = form.filters()

    def rows():
        yield _csv_line(CSV_HEADER)
        for batch in queries.log_batches(filters, CSV_BATCH):
            for row in batch:
                moment = row.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                yield _csv_line(
                    (
                        row.id,
                        moment,
                        row.moderator_id,
                        row.moderator.display_name if row.moderator else "",
                        row.target_kind.value,
                        row.target_id,
                        row.subject_id,
                        row.action.value,
                        row.old_state,
                        row.new_state,
                        row.reason,
                    )
                )

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="moderation-log.csv"'},
    )


# --- accounts -----------------------------------------------------------------------------


@bp.route("/users")
@require(can_moderate)
def users():
    """The newest accounts, so moderators know who has joined and from where."""
    page = _page()
    total = db.session.scalar(select(func.count(User.id)).where(User.anonymised_at.is_(None)))
    found = db.session.scalars(
        select(User)
        .where(User.anonymised_at.is_(None))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "moderation/users.html", users=found, page=page, total=total, page_size=PAGE_SIZE
    )


def _account_page(
    user: User,
    form: AccountDecisionForm | None = None,
    failed: str | None = None,
    status: int = 200,
):
    record = queries.author_records({user.id}).get(user.id) or queries.AuthorRecord(user)
    contributions = db.session.scalars(
        select(Annotation)
        .where(Annotation.author_id == user.id)
        .options(
            selectinload(Annotation.paper),
            selectinload(Annotation.version).load_only(*VERSION_COLUMNS),
        )
        .order_by(Annotation.created_at.desc(), Annotation.id.desc())
        .limit(RECENT)
    ).all()
    rows, log_total = queries.log_entries(queries.LogFilters(subject_id=user.id), limit=RECENT)
    return render_template(
        "moderation/user.html",
        user=user,
        record=record,
        contributions=contributions,
        **_log_rows(rows),
        log_total=log_total,
        form=form,
        failed=failed,
        today=utcnow().date(),
    ), status


def _load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>")
@require(can_moderate)
def user(user_id: int):
    """One account: its facts, record, state, recent contributions and decisions about it."""
    return _account_page(_load_user(user_id))


def end_of_day(day) -> datetime:
    """A suspension "until 30 November" lasts through that day (UTC)."""
    return datetime.combine(day, time.max, UTC)


@bp.route("/users/<int:user_id>/decide", methods=["POST"])
@require(can_moderate)
def user_decide(user_id: int):
    """Suspend (until the end of a day, or indefinitely), reinstate, restrict or unrestrict."""
    user = _load_user(user_id)
    form = AccountDecisionForm()
    action_value = form.action.data or ""
    group = "restriction" if action_value in ("restrict", "unrestrict") else "suspension"
    if not form.validate_on_submit():
        return _account_page(user, form, group, 422)
    until = end_of_day(form.until.data) if form.until.data else None
    try:
        action = services.parse_action(action_value)
        row = services.decide(
            current_user,
            services.Target(TargetKind.USER, user.id),
            action,
            form.reason.data,
            until=until,
        )
    except ModerationError as error:
        attach_error(form, error)
        return _account_page(user, form, group, error.status)
    _flash_decided(row)
    return redirect(url_for("moderation.user", user_id=user.id), 303)
