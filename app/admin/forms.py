"""Forms of the administrators' pages.

The filter is a GET form without a token (it changes nothing; a bad value is reported on
its field, status 400); "retry now" is a button with its CSRF token.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from app.admin.labels import MAIL_STATUS_LABELS
from app.core.i18n import lazy_gettext as _l


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
