"""Accounts: registration, confirmation, log-in, password reset, profile, API tokens.

Views are thin: validate the form, call one service, render or redirect. The request's
work is committed once it succeeded (`app.core.transaction`), and mail queued by the
services leaves after that commit (see `app.core.mail`).
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import bearer, services, sessions, tokens
from app.accounts.contributions import contributions_of
from app.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    EmailForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.accounts.services import AccountError, LoginOutcome, WrongPassword
from app.accounts.throttling import (
    login_limits,
    mail_limits,
    note_failed_login,
    registration_limits,
    remember_device,
)
from app.annotations.dispositions import answers_for
from app.core import logs, transaction
from app.core.i18n import LANGUAGE_COOKIE, known_locale
from app.core.i18n import gettext as _
from app.core.labels import ROLE_LABELS
from app.core.mail import send_now
from app.core.urls import posted_from_another_site, safe_next
from app.extensions import csrf, login_manager
from app.models import User
from app.moderation.queries import decisions_about
from app.notifications import queries as notification_queries
from app.notifications import settings as notification_settings
from app.notifications.forms import ConfirmForm as FollowsForm
from app.notifications.forms import settings_form

bp = Blueprint("accounts", __name__)


def load_user_from_request(req) -> User | None:
    """Flask-Login's request loader: `Authorization: Bearer <token>` names an account.

    The token's last use is recorded; it is stored with the request's work, when the
    request succeeds.
    """
    return bearer.token_user(req)


@bp.record_once
def _register_request_loader(state) -> None:
    """Let API clients authenticate with a bearer token wherever a session would do."""
    login_manager.request_loader(load_user_from_request)


# --- helpers -----------------------------------------------------------------------------


def _log_in(user: User, *, remember: bool) -> None:
    """Open a session kept on the server for `user` and log the browser into it."""
    sessions.start_session(
        user,
        user_agent=request.headers.get("User-Agent"),
        client_address=request.remote_addr,
    )
    login_user(user, remember=remember)


def _log_out() -> None:
    """End this browser's session on the server, then forget it in the cookies."""
    if current_user.is_authenticated:
        sessions.end_session(current_user, current_user.session_key)
    logout_user()


def _show_refusal(form, error: AccountError, *, default: str) -> None:
    """Put a service's refusal beside the field it names (`default` when it names none
    of the form's)."""
    field = getattr(form, error.field or "", None) or getattr(form, default)
    field.errors = [*field.errors, str(error)]


def _template_context() -> dict:
    return {"role_labels": ROLE_LABELS}


# --- registration and confirmation -----------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@registration_limits
def register():
    """Open an account; it must confirm its address before it can log in."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = RegistrationForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account: its owner is mailed.
        try:
            services.register_user(
                form.email.data,
                form.display_name.data,
                form.password.data,
                affiliation=form.affiliation.data or "",
                stakeholder_type=form.stakeholder_type.data,
                country=form.country.data or None,
                locale=str(get_locale()),
            )
        except AccountError as error:
            transaction.discard()
            _show_refusal(form, error, default="email")
        else:
            session["pending_email"] = services.normalise_email(form.email.data)
            return redirect(url_for("accounts.check_inbox"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/check-inbox")
def check_inbox():
    """After registering: tell the user to open the link we mailed, offer to send it again."""
    form = EmailForm(data={"email": session.get("pending_email", "")})
    return render_template("accounts/check_inbox.html", form=form)


@bp.route("/confirm/resend", methods=["GET", "POST"])
@mail_limits
def resend_confirmation():
    """Send a new confirmation link; the answer never says whether the address is known."""
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        session["pending_email"] = services.normalise_email(form.email.data)
        flash(
            _(
                "If an unconfirmed account uses %(email)s, we have sent it a new confirmation "
                "link.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("accounts.check_inbox"))
    return render_template("accounts/resend_confirmation.html", form=form)


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    """Open the link from the confirmation mail: the address is confirmed."""
    try:
        user = tokens.user_for_confirmation_token(token)
    except tokens.TokenError as error:
        return render_template(
            "accounts/confirm_failed.html", expired=error.expired, form=EmailForm()
        ), 400
    if services.confirm_email(user):
        flash(_("Thank you: your e-mail address is confirmed. You can log in now."), "success")
    else:
        flash(_("Your e-mail address was already confirmed."), "info")
    session.pop("pending_email", None)
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    return redirect(url_for("accounts.login"))


# --- log in and out --------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Log in with e-mail address and password; failed attempts are rate-limited per
    account and address, per address, and per account (`app.accounts.throttling`)."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("papers.index"))
    form = LoginForm()
    error = None
    unconfirmed_email = None
    if form.validate_on_submit():
        outcome, user = services.authenticate(form.email.data, form.password.data)
        if outcome is LoginOutcome.OK:
            _log_in(user, remember=form.remember.data)
            services.record_login(user)
            return remember_device(redirect(next_url or url_for("papers.index")), user)
        if outcome is LoginOutcome.WRONG:
            note_failed_login()
            error = _("E-mail address or password is incorrect.")
        elif outcome is LoginOutcome.SUSPENDED:
            error = _(
                "This account is suspended and cannot log in. If you think this is a mistake, "
                "please contact the moderators."
            )
            if user.suspended_until is not None:
                until = format_date(user.suspended_until, "long")
                error = _("This account is suspended until %(date)s.", date=until) + " " + error
        else:
            error = _(
                "Please confirm your e-mail address first: open the link in the mail we sent "
                "you. If it did not arrive or has expired, we can send a new one."
            )
            unconfirmed_email = user.email
    return render_template(
        "accounts/login.html",
        form=form,
        error=error,
        next_url=next_url,
        resend_form=EmailForm(data={"email": unconfirmed_email}) if unconfirmed_email else None,
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Log out: POST (with its CSRF token) does it; GET only asks for confirmation."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        _log_out()
        flash(_("You have logged out."), "info")
        return redirect(url_for("papers.index"))
    if not current_user.is_authenticated:
        return redirect(url_for("papers.index"))
    return render_template("accounts/logout.html", form=form)


# --- language ----------------------------------------------------------------------------

# How long a visitor's choice of language is kept (a year, renewed at each choice).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


@bp.post("/language")
@csrf.exempt
def choose_language():
    """Change the language of the site: kept in a cookie, and by the account when signed
    in (its mail follows). Every page offers it, also the pages kept for anonymous readers,
    which carry no CSRF token; so it is exempt, and refuses a post from another site
    instead — at worst another site could only change a reader's language."""
    if posted_from_another_site():
        abort(403, _("The language can only be changed from this site's own pages."))
    choice = known_locale(request.form.get("language"))
    if choice is None:
        abort(400, _("Choose one of the site's languages."))
    if current_user.is_authenticated:
        services.choose_language(current_user, choice)
    target = safe_next(request.form.get("next")) or url_for("papers.index")
    response = redirect(target, 303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        choice,
        max_age=LANGUAGE_COOKIE_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


# --- password reset --------------------------------------------------------------------


@bp.route("/reset-password", methods=["GET", "POST"])
@mail_limits
def request_reset():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = EmailForm()
    if form.validate_on_submit():
        # The same work whether or not the address has an account; the mail, if any, is
        # stored in the outbox and sent once the answer has gone, so that neither its
        # storing nor its delivery time tells anything.
        message = services.password_reset_mail(form.email.data)
        response = make_response(
            render_template("accounts/reset_requested.html", email=form.email.data)
        )
        if message is not None:
            app = current_app._get_current_object()
            response.call_on_close(
                logs.for_this_request(transaction.after_answer(lambda: send_now(message, app)))
            )
        return response
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through the mailed link; the link works once."""
    try:
        user = tokens.user_for_reset_token(token)
    except tokens.TokenError as error:
        return render_template("accounts/reset_failed.html", expired=error.expired), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        _log_out()
        flash(_("Your password has been changed. Log in with the new one."), "success")
        return redirect(url_for("accounts.login"))
    response = Response(render_template("accounts/reset_password.html", form=form, token=token))
    response.headers["Referrer-Policy"] = "no-referrer"  # keep the token out of Referer headers
    return response


# --- the account page ------------------------------------------------------------------


def _profile_page(status: int = 200, **forms):
    """The account page with its forms; a form given in `forms` shows what was submitted."""
    user = current_user
    if "profile_form" not in forms:
        forms["profile_form"] = ProfileForm(obj=user, formdata=None)
        # Never chosen: the language the account is seeing now, not the list's first.
        forms["profile_form"].locale.data = user.locale or str(get_locale())
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    forms.setdefault("token_form", ApiTokenForm(formdata=None))
    forms.setdefault("delete_form", DeleteAccountForm(formdata=None))
    forms.setdefault(
        "notifications_form",
        settings_form(notification_settings.settings_of(user), formdata=None),
    )
    new_token = forms.pop("new_token", None)
    user_sessions = sessions.active_sessions(user)
    response = Response(
        render_template(
            "accounts/profile.html",
            user=user,
            api_tokens=services.active_api_tokens(user),
            user_sessions=user_sessions,
            current_session_id=next(
                (row.id for row in user_sessions if sessions.is_current(row, user)), None
            ),
            decisions=decisions_about(user),
            answers=answers_for(user),
            follows=notification_queries.follows_of(user),
            follows_form=FollowsForm(formdata=None),
            confirm_form=ConfirmForm(formdata=None),
            new_token=new_token,
            **forms,
            **_template_context(),
        ),
        status=status,
    )
    if new_token:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/", methods=["GET", "POST"])
@login_required
def profile():
    """Show the account and let its owner edit the profile."""
    form = ProfileForm(obj=current_user) if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                display_name=form.display_name.data,
                affiliation=form.affiliation.data or "",
                stakeholder_type=form.stakeholder_type.data,
                country=form.country.data or None,
                locale=form.locale.data or None,
            )
        except AccountError as error:
            transaction.discard()
            _show_refusal(form, error, default="display_name")
        else:
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(**({"profile_form": form} if form is not None else {}))


@bp.route("/account/notifications", methods=["POST"])
@login_required
def notifications_settings():
    """Choose, kind by kind, whether notifications are e-mailed at once, in a daily
    digest, or not at all."""
    form = settings_form(notification_settings.settings_of(current_user))
    if not form.validate_on_submit():
        return _profile_page(status=422, notifications_form=form)
    notification_settings.save_settings(current_user, form.chosen())
    flash(_("Your notification settings have been saved."), "success")
    return redirect(url_for("accounts.profile", _anchor="notifications"))


@bp.get("/account/contributions")
@login_required
def contributions():
    """One's own threads, replies, proposals, comments and votes, newest first, with
    where each stands; `?page=` pages through them (anything but a number is page 1)."""
    page = request.args.get("page", 1, type=int)
    found = contributions_of(current_user, page=page)
    return render_template("accounts/contributions.html", listing=found)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change the password; other sessions end, this one stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                keep_session=current_user.session_key,
            )
        except WrongPassword as error:
            form.current_password.errors = [str(error)]
        except AccountError as error:
            form.new_password.errors = [str(error)]
        else:
            user = current_user._get_current_object()
            remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=remember_cookie in request.cookies)
            flash(_("Your password has been changed; your other sessions have ended."), "success")
            return redirect(url_for("accounts.profile"))
        transaction.discard()
    return _profile_page(password_form=form)


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of the account, on every device, this one included."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.end_all_sessions(current_user)
    logout_user()
    flash(_("You have been logged out everywhere."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """Log out one session of the account (another device, or this one)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    row = sessions.end_session_by_id(current_user, session_id)
    if row is None:
        abort(404)
    if sessions.is_current(row, current_user):
        logout_user()
        flash(_("You have logged out."), "info")
        return redirect(url_for("accounts.login"))
    flash(_("That session has been logged out."), "info")
    return redirect(url_for("accounts.profile") + "#sessions")


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    """Create an API token and show it, once; only its hash is kept."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _profile_page(token_form=form)
    token = services.issue_api_token(current_user, form.label.data)
    return _profile_page(new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of the account's API tokens; it stops working at once."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if services.revoke_api_token(current_user, token_id) is None:
        abort(404)
    flash(_("The token has been revoked."), "info")
    return redirect(url_for("accounts.profile") + "#api-tokens")


@bp.route("/account/export.json")
@login_required
def export_data():
    """Download everything the site holds about the account, as JSON."""
    data = services.export_account_data(current_user)
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="think-paper-commons-account-{current_user.id}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete_account():
    """Delete the account: anonymise it, end its sessions and tokens, log out."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.delete_password.data)
        except WrongPassword as error:
            transaction.discard()
            form.delete_password.errors = [str(error)]
        else:
            logout_user()
            flash(_("Your account has been deleted. Thank you for taking part."), "info")
            return redirect(url_for("papers.index"))
    return _profile_page(delete_form=form)
