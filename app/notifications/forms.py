"""Forms of notifications: e-mail settings per kind, follow buttons, confirmations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, InputRequired, Optional

from app.core.i18n import lazy_gettext as _l
from app.models import Delivery, NotificationKind


def _delivery_choices() -> list[tuple[str, str]]:
    return [
        (Delivery.IMMEDIATE.value, _l("Immediately")),
        (Delivery.DIGEST.value, _l("In a daily digest")),
        (Delivery.OFF.value, _l("Off")),
    ]


KIND_LABELS = {
    NotificationKind.REPLY: _l("Replies in threads you take part in"),
    NotificationKind.ANSWER: _l("Editors' answers to your threads"),
    NotificationKind.MODERATION: _l("Moderators' decisions on your contributions"),
    NotificationKind.NEW_VERSION: _l("New versions of papers you commented on"),
    NotificationKind.FOLLOWED: _l("New contributions on papers, sections and terms you follow"),
}


def _delivery(kind: NotificationKind) -> SelectField:
    return SelectField(
        KIND_LABELS[kind],
        choices=_delivery_choices,
        validators=[InputRequired(message=_l("Choose how to be told."))],
    )


class NotificationSettingsForm(FlaskForm):
    """How each kind of notification is e-mailed (it is listed on /notifications anyway)."""

    reply = _delivery(NotificationKind.REPLY)
    answer = _delivery(NotificationKind.ANSWER)
    moderation = _delivery(NotificationKind.MODERATION)
    new_version = _delivery(NotificationKind.NEW_VERSION)
    followed = _delivery(NotificationKind.FOLLOWED)

    def chosen(self) -> dict[NotificationKind, Delivery]:
        return {kind: Delivery(self[kind.value].data) for kind in NotificationKind}


def settings_form(current: dict[NotificationKind, Delivery], **kwargs) -> NotificationSettingsForm:
    """The form, showing `current` unless a submission is given."""
    return NotificationSettingsForm(
        prefix="notify", data={kind.value: value.value for kind, value in current.items()},
        **kwargs,
    )  # fmt: skip


class FollowForm(FlaskForm):
    """A follow or unfollow button: `follow` is "on" or "off"."""

    follow = HiddenField(validators=[Optional(), AnyOf(["on", "off"])], default="on")
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""
