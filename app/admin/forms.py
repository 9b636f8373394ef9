"""Forms of the administrators' pages.

The filters are GET forms without a token (they change nothing; a bad value is reported
on its field, status 400); "retry now" and the role change carry their CSRF token.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.admin.labels import MAIL_STATUS_LABELS
from app.admin.people import MAX_QUERY_LENGTH
from app.core.forms import enum_choices
from app.core.i18n import lazy_gettext as _l
from app.core.labels import ROLE_LABELS
from app.moderation.services import MAX_REASON_LENGTH


def _optional_choice(value):
    """'' (any) → None; anything else stays as given, for the choice check."""
    return value or None


class OutboxFilterForm(Form):
    """Which messages to list: all, or those of one status."""

    status = SelectField(_l("Status"), coerce=_optional_choice)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("Any status"))] + [
            SelectChoice(status.value, label) for status, label in MAIL_STATUS_LABELS.items()
        ]


class RetryForm(FlaskForm):
    """The "retry now" button: its CSRF token and where to go back to."""

    next = HiddenField()


class PeopleFilterForm(Form):
    """Which accounts to list: those whose name or e-mail address holds `q`, of any role
    or one."""

    q = StringField(
        _l("Name or e-mail address"),
        validators=[Optional(), Length(max=MAX_QUERY_LENGTH)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    role = SelectField(_l("Role"), coerce=_optional_choice)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("Any role")), *enum_choices(ROLE_LABELS)]


class RoleChangeForm(FlaskForm):
    """An account's new role and the admin's reason; `confirm` when the account is one's
    own. The form checks the shape; the rules are `app.admin.people.change_role`'s."""

    role = SelectField(_l("New role"), validate_choice=False)
    reason = TextAreaField(
        _l("Reason for the change"),
        validators=[
            DataRequired(_l("Give a reason for the change.")),
            Length(max=MAX_REASON_LENGTH),
        ],
    )
    confirm = BooleanField(_l("I am changing my own role and may lose access to this page"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = enum_choices(ROLE_LABELS)


# The fields of RoleChangeForm that answer for the fields a refusal names.
ROLE_ERROR_FIELDS = {"role": "role", "reason": "reason", "confirm": "confirm"}
