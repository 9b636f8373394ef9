"""Forms of the accounts area; every one carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.accounts.services import check_password_rules
from app.core.i18n import language_choices
from app.core.i18n import lazy_gettext as _l
from app.core.labels import STAKEHOLDER_LABELS
from app.models import ApiToken, User
from app.models.limits import column_length

# Two-letter codes in CLDR's territory list that are not ISO 3166-1 countries.
_NOT_COUNTRIES = {
    "AC",
    "CP",
    "CQ",
    "DG",
    "EA",
    "EU",
    "EZ",
    "IC",
    "QO",
    "TA",
    "UN",
    "XA",
    "XB",
    "ZZ",
}


def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and their names in the reader's language, sorted by name."""
    return dict(_country_names(str(get_locale() or "en")))


@cache
def _country_names(locale: str) -> tuple[tuple[str, str], ...]:
    codes = [
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    names = Locale.parse(locale).territories
    named = {code: names.get(code) or Locale("en").territories[code] for code in codes}
    return tuple(sorted(named.items(), key=lambda item: _sort_key(item[1])))


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _stakeholder_choices() -> list[tuple[str, str]]:
    labels = ((t.value, label) for t, label in STAKEHOLDER_LABELS.items())
    return [("", _l("Choose one")), *labels]


def _country_choices() -> list[tuple[str, str]]:
    return [("", _l("Prefer not to say")), *country_names().items()]


def _new_password_field(label) -> PasswordField:
    """A new password, held to the password rules."""
    return PasswordField(
        label,
        validators=[DataRequired(_l("Choose a password.")), _NewPassword()],
        description=_l("At least 10 characters; a few unrelated words make a good password."),
    )


def _repeat_field(label, of: str) -> PasswordField:
    """The new password again, which must equal the field `of`."""
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo(of, _l("The two passwords differ.")),
        ],
    )


def _email_field(label=None) -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254),
            Email(_l("Enter an e-mail address such as name@example.org.")),
        ],
    )


class _NewPassword:
    """Applies the site's password rules, knowing the e-mail address and name if given."""

    def __call__(self, form, field):
        email = getattr(getattr(form, "email", None), "data", None) or ""
        name = getattr(getattr(form, "display_name", None), "data", None) or ""
        problem = check_password_rules(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(problem)


class ProfileFields:
    display_name = StringField(
        _l("Display name"),
        validators=[
            DataRequired(_l("Enter a display name.")),
            Length(max=column_length(User, "display_name")),
        ],
        description=_l("Shown with your comments and proposals."),
    )
    affiliation = StringField(
        _l("Affiliation"),
        validators=[Optional(), Length(max=column_length(User, "affiliation"))],
        description=_l("Organisation you work for or represent, if any."),
    )
    stakeholder_type = SelectField(
        _l("Stakeholder type"),
        choices=_stakeholder_choices,
        validators=[DataRequired(_l("Choose the kind of organisation you belong to."))],
    )
    country = SelectField(_l("Country"), choices=_country_choices, validators=[Optional()])


class RegistrationForm(ProfileFields, FlaskForm):
    email = _email_field()
    password = _new_password_field(_l("Password"))
    confirm = _repeat_field(_l("Repeat the password"), "password")
    terms = BooleanField(
        _l("I accept the terms of participation"),
        validators=[InputRequired(_l("You need to accept the terms of participation."))],
    )

    # No check that the address is free: the answer is the same whether or not it has an
    # account (its owner is mailed instead; see services.register_user).


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    remember = BooleanField(_l("Keep me logged in on this device"))


class EmailForm(FlaskForm):
    """One e-mail address: resending a confirmation link, asking for a reset link."""

    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = _new_password_field(_l("New password"))
    confirm = _repeat_field(_l("Repeat the new password"), "password")


class ProfileForm(ProfileFields, FlaskForm):
    locale = SelectField(
        _l("Language of the site"),
        choices=lambda: [
            (code, name, {"lang": code.replace("_", "-")}) for code, name in language_choices()
        ],
        validators=[Optional()],  # left out (a script's post): the account keeps its own
        description=_l("The pages you see and the e-mails you receive are in this language."),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = _new_password_field(_l("New password"))
    confirm_password = _repeat_field(_l("Repeat the new password"), "new_password")


class ApiTokenForm(FlaskForm):
    label = StringField(
        _l("Label"),
        validators=[
            DataRequired(_l("Say what the token is for.")),
            Length(max=column_length(ApiToken, "label")),
        ],
        description=_l("What the token is for, such as “analysis script”."),
    )


class DeleteAccountForm(FlaskForm):
    delete_password = PasswordField(
        _l("Your password"), validators=[DataRequired(_l("Enter your password to confirm."))]
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: a button that changes something."""
