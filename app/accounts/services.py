"""Account rules. Services add and flush; the request's boundary (`app.core.transaction`)
commits once.

Mail is queued with `app.core.mail`, which sends it only after that commit.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from functools import cache
from typing import Any

from flask import current_app, render_template
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import personal_data, sessions, tokens
from app.core.errors import ServiceError
from app.core.i18n import gettext as _
from app.core.i18n import in_language_of, known_locale
from app.core.mail import build_message, queue_mail, queue_template_mail
from app.core.urls import absolute_url
from app.extensions import db
from app.models import ApiToken, Role, StakeholderType, User
from app.models.base import utcnow
from app.models.limits import column_length
from app.models.user import FORMER_PARTICIPANT


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader: the id in the session is `user_id:session_version:key`,
    the key of a session kept on the server (`app.accounts.sessions`).

    Logging out ends that session; bumping an account's `session_version` (log out
    everywhere, password reset or change, suspension) ends all of them. Either way
    every cookie issued for them, remember-me cookies included, names no one.
    """
    return sessions.load_user(session_id)


class AccountError(ServiceError):
    """A rule about accounts was broken; the message says which, for the user."""


class WrongPassword(AccountError):
    """The current password given to confirm a change is not the account's password."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This is not your current password."))


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- what an account may say about itself -----------------------------------------------
#
# The forms and the API check these too, but the services are where every caller passes
# (`flask users create` included): PostgreSQL refuses a value longer than its column with
# an error, SQLite stores it, so the rule is checked here, the same on both.

MAX_EMAIL_LENGTH = column_length(User, "email")
MAX_NAME_LENGTH = column_length(User, "display_name")
MAX_AFFILIATION_LENGTH = column_length(User, "affiliation")
MAX_TOKEN_LABEL_LENGTH = column_length(ApiToken, "label")
COUNTRY_LENGTH = column_length(User, "country")


def _checked_length(value: str, limit: int, field: str) -> str:
    if len(value) > limit:
        raise AccountError(
            _("Use at most %(n)d characters (%(given)d given).", n=limit, given=len(value)),
            code="too_long",
            field=field,
        )
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise AccountError(_("Give this as text."), field=field)
    return value


def clean_email(email: Any) -> str:
    """The address as accounts store it (trimmed, lower-cased), refused when it cannot be
    one: empty, without an @, with spaces or control characters, or longer than its column.
    The reserved domain `invalid` is refused too: deleted accounts are renamed into it."""
    email = normalise_email(_text(email, "email"))
    local, at, domain = email.rpartition("@")
    reserved = domain == "invalid" or domain.endswith(".invalid")
    if (
        not (at and local and domain)
        or reserved
        or any(c.isspace() or not c.isprintable() for c in email)
    ):
        raise AccountError(_("Enter an e-mail address such as name@example.org."), field="email")
    return _checked_length(email, MAX_EMAIL_LENGTH, "email")


def clean_display_name(display_name: Any) -> str:
    """A display name: one line of text without control characters, spaces collapsed,
    not empty, within its column."""
    name = " ".join(_text(display_name, "display_name").split())
    if not name:
        raise AccountError(_("Enter a display name."), code="empty", field="display_name")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise AccountError(_("Use no control characters."), field="display_name")
    return _checked_length(name, MAX_NAME_LENGTH, "display_name")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password_rules(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a password is refused, or None: at least the minimum length, not a common one."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("Use at least %(n)d characters.", n=minimum)
    if len(password) > 256:
        return _("Use at most 256 characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        return _("This password is among the most common ones; choose another.")
    personal = {normalise_email(email), normalise_email(email).split("@")[0], name.strip().lower()}
    if lowered in {p for p in personal if p}:
        return _("Do not use your e-mail address or name as your password.")
    return None


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's frequency lists."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def create_user(
    email: str,
    display_name: str,
    *,
    role: Role = Role.PARTICIPANT,
    password: str | None = None,
    trusted: bool = False,
    confirmed: bool = False,
    **profile,
) -> User:
    """Add an account; `flask users create` makes confirmed, trusted ones.

    Every value is checked against its column here, whoever calls (form, API, command).
    """
    email = clean_email(email)
    display_name = clean_display_name(display_name)
    profile = {**profile, **_profile_fields(**_profile_part(profile))}
    if find_user_by_email(email) is not None:
        raise AccountError(_("An account with this e-mail address already exists."), field="email")
    now = utcnow()
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password) if password else None,
        trusted=trusted,
        email_confirmed_at=now if confirmed else None,
        **profile,
    )
    db.session.add(user)
    db.session.flush()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_api_token(user: User, label: str = "") -> str:
    """Create an API token for `user` and return it; only its hash is stored."""
    label = " ".join(_text(label, "label").split())
    _checked_length(label, MAX_TOKEN_LABEL_LENGTH, "label")
    token = "tpc_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, label=label, token_hash=token_digest(token)))
    db.session.flush()
    return token


# Recording every use of a token would make every API read a write; a minute is precise enough.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# The token and its account in one query, which every API request asks first. Built once:
# building a statement (and its cache key) costs more than running this one.
_TOKEN_AND_USER = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(ApiToken.user, innerjoin=True))
)


def user_for_api_token(token: str) -> User | None:
    """The active account a bearer token belongs to, or None; notes when it was used."""
    row = db.session.scalar(_TOKEN_AND_USER, {"digest": token_digest(token.strip())})
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        row.last_used_at = now
    return row.user


def active_api_tokens(user: User) -> list[ApiToken]:
    """The account's tokens that still work, newest first, for the profile page."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


def revoke_api_token(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of the account's own tokens; None when it has no such active token."""
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if row is not None:
        row.revoked_at = utcnow()
        db.session.flush()
    return row


# --- registration and confirmation -----------------------------------------------------


def _profile_part(values: dict[str, Any]) -> dict[str, Any]:
    """The profile fields among `values` (the others, such as dates, pass unchecked)."""
    return {
        "affiliation": values.get("affiliation"),
        "stakeholder_type": values.get("stakeholder_type", StakeholderType.OTHER),
        "country": values.get("country"),
    }


def _profile_fields(
    affiliation: Any, stakeholder_type: StakeholderType | str, country: Any
) -> dict[str, Any]:
    """What an account says about itself besides its name, cleaned and checked: the
    affiliation on one line and within its column, the stakeholder type as the enum, the
    country as a two-letter code or None."""
    affiliation = " ".join(_text(affiliation or "", "affiliation").split())
    _checked_length(affiliation, MAX_AFFILIATION_LENGTH, "affiliation")
    try:
        stakeholder = StakeholderType(stakeholder_type)
    except ValueError:
        raise AccountError(
            _("Choose one of the stakeholder types."), field="stakeholder_type"
        ) from None
    country = _text(country or "", "country").strip().upper() or None
    if country is not None and not (
        len(country) == COUNTRY_LENGTH and country.isascii() and country.isalpha()
    ):
        raise AccountError(_("Give the country as a two-letter code."), field="country")
    return {"affiliation": affiliation, "stakeholder_type": stakeholder, "country": country}


def register_user(
    email: str,
    display_name: str,
    password: str,
    *,
    affiliation: str = "",
    stakeholder_type: StakeholderType | str = StakeholderType.OTHER,
    country: str | None = None,
    locale: str | None = None,
) -> User | None:
    """Open an unconfirmed account and mail it a confirmation link; it cannot log in before.

    When the address already has an account, nothing is opened and None is returned: the
    owner is mailed instead (someone tried to register with the address; here is how to
    get in). The caller answers the same either way, and the work is the same (the
    password is hashed, one mail is queued), so that the answer tells nobody whether the
    address has an account.
    """
    password_hash = hash_password(password)
    existing = find_user_by_email(email)
    if existing is not None:
        send_registration_attempt_mail(existing)
        return None
    user = create_user(
        email,
        display_name,
        terms_accepted_at=utcnow(),
        locale=_chosen_locale(locale),
        **_profile_fields(affiliation, stakeholder_type, country),
    )
    user.password_hash = password_hash
    db.session.flush()
    send_confirmation_mail(user)
    return user


def send_registration_attempt_mail(user: User) -> None:
    """Tell an account's owner that someone tried to register with its address; an active
    account is given a password-reset link (which also confirms the address)."""
    url = None
    if user.is_active:
        url = absolute_url("accounts.reset_password", token=tokens.reset_token(user))
    with in_language_of(user):
        queue_template_mail(
            user.email,
            _("Someone tried to register with your address at Think Paper Commons"),
            "registration_attempt",
            user=user,
            url=url,
            minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
        )


def send_confirmation_mail(user: User) -> None:
    """Queue the mail with the link that confirms the account's address."""
    with in_language_of(user):
        _queue_link_mail(
            user,
            _("Confirm your e-mail address for Think Paper Commons"),
            "confirm_email",
            absolute_url("accounts.confirm_email", token=tokens.confirmation_token(user)),
            hours=current_app.config["EMAIL_TOKEN_MAX_AGE"] // 3600,
        )


def _queue_link_mail(user: User, subject: str, template: str, url: str, **context: Any) -> None:
    """Queue a mail that brings the account a link (to confirm, to reset...)."""
    queue_template_mail(user.email, subject, template, user=user, url=url, **context)


def resend_confirmation(email: str) -> None:
    """Send a new confirmation link if `email` names an unconfirmed, active account.

    Says nothing either way: the caller answers the same whatever happened.
    """
    user = find_user_by_email(email)
    if user is not None and user.is_active and not user.email_confirmed:
        send_confirmation_mail(user)


def confirm_email(user: User) -> bool:
    """Mark the account's address as confirmed; False if it already was."""
    if user.email_confirmed:
        return False
    user.email_confirmed_at = utcnow()
    db.session.flush()
    return True


# --- logging in ------------------------------------------------------------------------


class LoginOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown address or wrong password: the user is told the same
    UNCONFIRMED = "unconfirmed"
    SUSPENDED = "suspended"


@cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> tuple[LoginOutcome, User | None]:
    """Check a log-in attempt. An unknown address costs as much time as a wrong password."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_decoy_hash(), password)
        return LoginOutcome.WRONG, None
    if not verify_password(user, password):
        return LoginOutcome.WRONG, None
    if user.is_suspended or user.anonymised_at is not None:
        return LoginOutcome.SUSPENDED, user
    if not user.email_confirmed:
        return LoginOutcome.UNCONFIRMED, user
    return LoginOutcome.OK, user


def record_login(user: User) -> None:
    """Note the time of a successful log-in."""
    user.last_login_at = utcnow()
    db.session.flush()


def end_all_sessions(user: User, *, keep: str | None = None) -> None:
    """Invalidate every session and remember-me cookie of the account at once, but the
    session with the key `keep`, if given (see `sessions.end_all_sessions`)."""
    sessions.end_all_sessions(user, keep=keep)


def revoke_all_api_tokens(user: User) -> None:
    """Revoke every API token of the account that still works."""
    now = utcnow()
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now
    db.session.flush()


# --- password reset and change ---------------------------------------------------------


def password_reset_mail(email: str) -> EmailMessage | None:
    """The reset mail for the active account `email` names, ready to send; None when there
    is no such account.

    The work is the same either way (the account looked up, a token signed, the mail
    rendered), so that the answer takes as long whether or not the address has an account;
    only the sending differs, and the view does it after answering.
    """
    user = find_user_by_email(email)
    known = user is not None and user.is_active
    if not known:
        user = User(
            id=0,
            email=normalise_email(email),
            display_name="",
            password_hash=_decoy_hash(),
        )
    url = absolute_url("accounts.reset_password", token=tokens.reset_token(user))
    with in_language_of(user):
        body = render_template(
            "mail/reset_password.txt",
            user=user,
            url=url,
            minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
        )
        message = build_message(user.email, _("Reset your Think Paper Commons password"), body)
    return message if known else None


def request_password_reset(email: str) -> None:
    """Queue a reset link if `email` names an active account (sent after the commit);
    silent either way. Scripts use this; the reset page sends after answering."""
    message = password_reset_mail(email)
    if message is not None:
        queue_mail(message["To"], message["Subject"], message.get_content())


def set_password(user: User, password: str, *, keep_session: str | None = None) -> None:
    """Store a new password, revoke the account's API tokens and end its sessions (but
    the one with the key `keep_session`, the one that changed it): whoever knew the old
    password may have made a token or kept a session with it."""
    user.password_hash = hash_password(password)
    end_all_sessions(user, keep=keep_session)
    revoke_all_api_tokens(user)


def reset_password(user: User, password: str) -> None:
    """Set the password chosen through a reset link; every session and API token ends.

    The link was mailed to the account's address, so it also proves that address.
    """
    set_password(user, password)
    if not user.email_confirmed:
        user.email_confirmed_at = utcnow()
    db.session.flush()


def change_password(
    user: User, current_password: str, new_password: str, *, keep_session: str | None = None
) -> None:
    """Change the password of a logged-in account, which must know the current one.

    Its API tokens are revoked and its other sessions end; the session with the key
    `keep_session` (the one making the change) goes on."""
    if not verify_password(user, current_password):
        raise WrongPassword()
    problem = check_password_rules(new_password, email=user.email, name=user.display_name)
    if problem:
        raise AccountError(problem)
    set_password(user, new_password, keep_session=keep_session)


# --- profile, export and deletion ------------------------------------------------------


def update_profile(
    user: User,
    *,
    display_name: str,
    affiliation: str = "",
    stakeholder_type: StakeholderType | str = StakeholderType.OTHER,
    country: str | None = None,
    locale: str | None = None,
) -> None:
    """Change what the account shows about itself (and, given `locale`, its language)."""
    user.display_name = clean_display_name(display_name)
    for name, value in _profile_fields(affiliation, stakeholder_type, country).items():
        setattr(user, name, value)
    if locale is not None:
        user.locale = _chosen_locale(locale)
    db.session.flush()


def choose_language(user: User, locale: str) -> None:
    """Keep `locale` as the language of the account's pages and mail."""
    user.locale = _chosen_locale(locale)
    db.session.flush()


def _chosen_locale(locale: str | None) -> str | None:
    """`locale` if it is one of the site's languages (None stays None)."""
    if locale is None:
        return None
    if known_locale(locale) is None:
        raise AccountError(_("Choose one of the site's languages."), field="locale")
    return locale


# Every table that names an account is exported by `personal_data`; what is kept about an
# account elsewhere is added here: a section name and a function returning JSON-ready
# data for one user.
EXPORT_SECTIONS: dict[str, Callable[[User], Any]] = {}


def register_export_section(name: str, collect: Callable[[User], Any]) -> None:
    """Include `collect(user)` under `name` in every account's data export."""
    EXPORT_SECTIONS[name] = collect


def export_account_data(user: User) -> dict[str, Any]:
    """Everything the site holds about the account, as JSON-ready data (GDPR art. 15 and
    20): the account, every row of every table that names it (`personal_data.SECTIONS`),
    and what other parts register here."""
    data = personal_data.collect(user)
    for name, collect in EXPORT_SECTIONS.items():
        data[name] = collect(user)
    data["exported_at"] = utcnow().isoformat()
    return data


# The name a deleted account's contributions are credited to (translated where shown).
DELETED_NAME = FORMER_PARTICIPANT


def delete_account(user: User, password: str) -> None:
    """Anonymise the account: its contributions stay, credited to "Former participant",
    and nothing identifies the person any more (`personal_data.erase` lists what goes).

    The row is kept, since contributions, votes and the moderation log point to it.
    """
    if not verify_password(user, password):
        raise WrongPassword()
    personal_data.erase(user)
