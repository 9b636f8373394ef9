"""Forms of the moderation pages.

Decision forms carry a CSRF token and check only their shape (a reason is there, a
date is a date); whether a decision applies is the services' rule and comes back as a
`ModerationError`. Filter forms are GET forms without a token: their values only
narrow what is shown, and a bad value is reported on its field (status 400).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.core import forms as core_forms
from app.core.i18n import lazy_gettext as _l
from app.core.i18n import lazy_number
from app.models import FlagReason, ModerationAction, TargetKind
from app.moderation.labels import FLAG_REASON_LABELS, PRESET_REASONS, action_past_label
from app.moderation.services import (
    MAX_NOTE_LENGTH,
    MAX_REASON_LENGTH,
    ModerationError,
    parse_target,
)
from app.moderation.states import QueueFilter
from app.moderation.targets import CONTENT_TYPES

REASON_HINT = _l(
    "Required. The author is told this reason, and it stays in the moderation log. "
    "At most %(n)s characters.",
    n=lazy_number(MAX_REASON_LENGTH),
)
ACCOUNT_REASON_HINT = _l(
    "Required. The account's owner is told this reason, and it stays in the moderation log. "
    "At most %(n)s characters.",
    n=lazy_number(MAX_REASON_LENGTH),
)
PRESET_REASON_HINT = _l(
    "Choose a common reason, write your own, or both; one of them is required. The author is "
    "told the reason, and it stays in the moderation log. At most %(n)s characters.",
    n=lazy_number(MAX_REASON_LENGTH),
)
MAX_ID = 2**31 - 1
MIN_YEAR, MAX_YEAR = 2000, 9000


def target_from(value: str | None):
    """`annotation:42` → services.Target; a `ModerationError` when it names nothing."""
    kind, _sep, raw_id = (value or "").partition(":")
    target_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 12 else None
    return parse_target(kind, target_id)


def _optional_choice(value):
    """'' (any) → None; anything else stays as given, for the choice check."""
    return value or None


def _optional_int(value):
    if value in (None, ""):
        return None
    return int(value)  # a ValueError becomes the field's "not a valid choice" error


def _plausible(form, field):
    """Dates the calendar arithmetic of the filters can handle."""
    if field.data and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise ValidationError(_l("Give a date between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR))


class _FilterForm(Form):
    """GET filters: no CSRF token, as they change nothing."""

    class Meta:
        csrf = False


class QueueFilterForm(_FilterForm):
    state = SelectField(
        _l("Show"),
        choices=[
            SelectChoice(QueueFilter.ALL.value, _l("Everything waiting")),
            SelectChoice(QueueFilter.PENDING.value, _l("Awaiting review")),
            SelectChoice(QueueFilter.FLAGGED.value, _l("Flagged")),
        ],
        default=QueueFilter.ALL.value,
        coerce=lambda value: value or QueueFilter.ALL.value,
    )
    kind = SelectField(_l("Type"), coerce=_optional_choice)
    reason = SelectField(_l("Flag reason"), coerce=_optional_choice)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _l("All types"))] + [
            SelectChoice(ct.kind.value, str(ct.label).capitalize()) for ct in CONTENT_TYPES.values()
        ]
        self.reason.choices = [SelectChoice("", _l("Any reason"))] + [
            SelectChoice(r.value, label) for r, label in FLAG_REASON_LABELS.items()
        ]

    @property
    def kind_value(self) -> TargetKind | None:
        return TargetKind(self.kind.data) if self.kind.data else None

    @property
    def reason_value(self) -> FlagReason | None:
        return FlagReason(self.reason.data) if self.reason.data else None


class LogFilterForm(_FilterForm):
    action = SelectField(_l("Action"), coerce=_optional_choice)
    kind = SelectField(_l("Type"), coerce=_optional_choice)
    moderator = SelectField(_l("Moderator"), coerce=_optional_int)
    subject = IntegerField(
        _l("Account number"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID)],
    )
    since = DateField(_l("From"), validators=[Optional(), _plausible])
    until = DateField(_l("To"), validators=[Optional(), _plausible])

    def __init__(self, *args, moderators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("Any action"))] + [
            SelectChoice(a.value, action_past_label(a)) for a in ModerationAction
        ]
        self.kind.choices = (
            [SelectChoice("", _l("All types"))]
            + [SelectChoice(TargetKind.USER.value, _l("Account"))]
            + [
                SelectChoice(ct.kind.value, str(ct.label).capitalize())
                for ct in CONTENT_TYPES.values()
            ]
        )
        self.moderator.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(m.id, m.display_name) for m in moderators
        ]

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date cannot lie before the start date."))

    def filters(self):
        from app.moderation.queries import LogFilters

        return LogFilters(
            action=ModerationAction(self.action.data) if self.action.data else None,
            kind=TargetKind(self.kind.data) if self.kind.data else None,
            moderator_id=self.moderator.data,
            subject_id=self.subject.data,
            since=self.since.data,
            until=self.until.data,
        )

    def args(self) -> dict[str, str]:
        """The filters as query arguments, for the pager and the CSV link."""
        return {
            name: self[name].raw_data[0]
            for name in ("action", "kind", "moderator", "subject", "since", "until")
            if self[name].raw_data and self[name].raw_data[0]
        }


def reason_field(label) -> TextAreaField:
    """A decision's reason: required, at most MAX_REASON_LENGTH characters."""
    return TextAreaField(
        label,
        validators=[
            DataRequired(_l("Give a reason for the decision.")),
            Length(max=MAX_REASON_LENGTH),
        ],
    )


class DecisionForm(FlaskForm):
    """One decision on one item: the button pressed names the action.

    The reason is a common one chosen from a list (`preset`), the moderator's own words
    (`reason`), or both; the log keeps one text made of the two (`reason_text`).
    """

    target = StringField()
    action = StringField()
    preset = SelectField(
        _l("Common reason"),
        choices=[SelectChoice("", _l("None: in my own words"))]
        + [SelectChoice(key, label) for key, label in PRESET_REASONS.items()],
        default="",
    )
    # No `Optional()`: it would stop the chain before `validate_reason` looks at the preset.
    reason = TextAreaField(_l("In your own words"), validators=[Length(max=MAX_REASON_LENGTH)])
    next = StringField()

    def validate_reason(self, field):
        if not self.preset.data and not (field.data or "").strip():
            raise ValidationError(_l("Choose a common reason or give one in your own words."))

    def reason_text(self) -> str:
        """The reason as the log keeps it: "Off topic", "Off topic: own words", "own words"."""
        words = (self.reason.data or "").strip()
        if not self.preset.data:
            return words
        preset = str(PRESET_REASONS[self.preset.data])
        return str(_l("%(preset)s: %(words)s", preset=preset, words=words)) if words else preset


class BulkApprovalForm(FlaskForm):
    reason = reason_field(_l("Reason for approving the selected items"))
    next = StringField()


class AccountDecisionForm(FlaskForm):
    """Suspend, reinstate, restrict or lift a restriction; `until` is for suspensions."""

    action = StringField()
    reason = reason_field(_l("Reason for your decision"))
    until = DateField(_l("Suspended until (optional)"), validators=[Optional()])


class FlagForm(FlaskForm):
    """Report a contribution to the moderators: a reason, and a note if the reason needs one.

    The form checks only that a reason was chosen; the rules (a reason from the list, the
    note's length, one flag per account) are `app.moderation.services.flag`'s.
    """

    reason = core_forms.choice_of(_l("Why should a moderator look at it?"), FLAG_REASON_LABELS)
    note = TextAreaField(
        _l("Note for the moderators (optional)"),
        description=_l(
            "What should they know? Say where the problem is, for “other” especially. "
            "At most %(n)s characters. Only moderators read it.",
            n=lazy_number(MAX_NOTE_LENGTH),
        ),
    )

    def validate_reason(self, field):
        if not field.data:
            raise ValidationError(_l("Choose a reason."))


# The fields of the forms above that answer for the fields a `ModerationError` names.
ERROR_FIELDS = {"reason": "reason", "until": "until", "note": "note"}


def attach_error(form: FlaskForm, error: ModerationError) -> None:
    """Show a service's refusal on the field at fault, or above the form."""
    core_forms.attach_error(form, error, ERROR_FIELDS)
