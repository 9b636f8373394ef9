"""How often the account forms may be used, and by whom they are counted.

Failed log-ins are counted three ways, so that guessing is slow and nobody can lock an
owner out:

- per account and client address (`LOGIN_RATE_LIMIT`, 5 a minute): one client guessing
  one account's password waits; the same account from any other address does not;
- per client address (`LOGIN_ADDRESS_RATE_LIMIT`, 20 a minute): one client trying many
  accounts waits;
- per account, from every address together (`LOGIN_ACCOUNT_RATE_LIMIT`, 30 an hour):
  many clients guessing one account wait until the hour is over. A browser in which the
  account has logged in before carries a signed "known device" cookie and is not held
  by this limit, so the owner's own browser still gets in while an attack goes on.

Only failures count, and the right password does not get through a limit that is
reached: a client that made 5 failures for an account waits, even with the right
password. Registration is limited per client address (`REGISTRATION_RATE_LIMIT`) and,
like every form that sends mail, per e-mail address (`MAIL_RATE_LIMIT`).

Behind reverse proxies, `TRUSTED_PROXIES` makes `request.remote_addr` the client's
address (see `app.__init__`), which is what these limits count by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.accounts.services import normalise_email
from app.core.i18n import gettext as _
from app.extensions import limiter
from app.models import User

# Forms that send mail may be used this often, per client address and per e-mail address,
# unless the MAIL_RATE_LIMIT setting says otherwise.
MAIL_RATE_LIMIT = "5 per hour"

KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_SALT = "known-device"
KNOWN_DEVICE_MAX_AGE = 60 * 60 * 24 * 365


# --- what is counted --------------------------------------------------------------------


def client_address() -> str:
    return request.remote_addr or "unknown"


def submitted_email() -> str:
    """The e-mail address the form names, as accounts store it."""
    return normalise_email(request.form.get("email", ""))


def email_key() -> str:
    return "email:" + submitted_email()


def address_key() -> str:
    return "address:" + client_address()


def account_and_address_key() -> str:
    return f"account-address:{submitted_email()}|{client_address()}"


def _setting(name: str, default: str | None = None) -> Callable[[], str]:
    return lambda: current_app.config.get(name) or default or current_app.config[name]


# --- log-in -----------------------------------------------------------------------------


def note_failed_login() -> None:
    """The view's word that this attempt failed (wrong password or unknown address)."""
    g.login_failed = True


def _failed_login(response: Response) -> bool:
    """Only failed log-in attempts count against the log-in limits."""
    return response.status_code == 200 and bool(g.get("login_failed"))


def _account_wide_message() -> str:
    return _(
        "There have been too many failed attempts to log in to this account from many places. "
        "Please try again within the hour, or log in from a browser you have used here before."
    )


def login_limits(view):
    """The three counts of failed log-ins (see the module's docstring)."""
    failures = {"methods": ["POST"], "deduct_when": _failed_login}
    view = limiter.limit(
        _setting("LOGIN_ACCOUNT_RATE_LIMIT"),
        key_func=email_key,
        exempt_when=known_device,
        error_message=_account_wide_message,
        **failures,
    )(view)
    view = limiter.limit(_setting("LOGIN_ADDRESS_RATE_LIMIT"), key_func=address_key, **failures)(
        view
    )
    return limiter.limit(
        _setting("LOGIN_RATE_LIMIT"), key_func=account_and_address_key, **failures
    )(view)


# --- forms that send mail ---------------------------------------------------------------


def mail_limits(view):
    """A form that sends mail: limited per client address and per e-mail address."""
    limit = _setting("MAIL_RATE_LIMIT", MAIL_RATE_LIMIT)
    view = limiter.limit(limit, key_func=email_key, methods=["POST"])(view)
    return limiter.limit(limit, key_func=address_key, methods=["POST"])(view)


def registration_limits(view):
    """Registration: per client address, and per e-mail address as any form that mails."""
    view = limiter.limit(
        _setting("REGISTRATION_RATE_LIMIT"),
        key_func=lambda: "register:" + client_address(),
        methods=["POST"],
        error_message=lambda: _("Too many registrations from here. Please try again later."),
    )(view)
    limit = _setting("MAIL_RATE_LIMIT", MAIL_RATE_LIMIT)
    return limiter.limit(limit, key_func=email_key, methods=["POST"])(view)


# --- the known-device cookie ------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=KNOWN_DEVICE_SALT)


def _account_mark(email: str) -> str:
    """What the cookie holds of the account: a digest, not the address itself."""
    return hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()[:32]


def remember_device(response: Response, user: User) -> Response:
    """After a successful log-in: this browser is one the account's owner uses."""
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        _serializer().dumps(_account_mark(user.email)),
        max_age=KNOWN_DEVICE_MAX_AGE,
        path="/login",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def known_device() -> bool:
    """Whether the browser has logged in to the account the form names before."""
    cookie = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not cookie or not request.form.get("email"):
        return False
    try:
        mark = _serializer().loads(cookie, max_age=KNOWN_DEVICE_MAX_AGE)
    except BadSignature:
        return False
    return mark == _account_mark(submitted_email())
