"""Human labels of moderation values, marked for translation."""

from app.core.i18n import lazy_gettext as _l
from app.models import FlagReason, ModerationAction

FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.ABUSE: _l("Abuse or harassment"),
    FlagReason.OFF_TOPIC: _l("Off topic"),
    FlagReason.PERSONAL_DATA: _l("Personal data"),
    FlagReason.OTHER: _l("Other"),
}

ACTION_LABELS = {
    ModerationAction.APPROVE: _l("approve"),
    ModerationAction.REJECT: _l("reject"),
    ModerationAction.HIDE: _l("hide"),
    ModerationAction.RESTORE: _l("restore"),
    ModerationAction.SUSPEND: _l("suspend"),
    ModerationAction.REINSTATE: _l("reinstate"),
    ModerationAction.RESTRICT: _l("restrict"),
    ModerationAction.UNRESTRICT: _l("lift the restriction"),
}

# What an action did, for the log and for the people it concerns.
ACTION_PAST_LABELS = {
    ModerationAction.APPROVE: _l("Approved"),
    ModerationAction.REJECT: _l("Rejected"),
    ModerationAction.HIDE: _l("Hidden"),
    ModerationAction.RESTORE: _l("Restored"),
    ModerationAction.SUSPEND: _l("Suspended"),
    ModerationAction.REINSTATE: _l("Reinstated"),
    ModerationAction.RESTRICT: _l("Restricted"),
    ModerationAction.UNRESTRICT: _l("Restriction lifted"),
}

STATE_LABELS = {
    "pending": _l("awaiting review"),
    "published": _l("published"),
    "hidden": _l("hidden"),
    "rejected": _l("rejected"),
    "deleted": _l("deleted"),
    "active": _l("active"),
    "suspended": _l("suspended"),
    "restricted": _l("restricted"),
}


def flag_reason_label(reason: FlagReason | str) -> str:
    return str(FLAG_REASON_LABELS[FlagReason(reason)])


def action_label(action: ModerationAction | str) -> str:
    return str(ACTION_LABELS[ModerationAction(action)])


def action_past_label(action: ModerationAction | str) -> str:
    return str(ACTION_PAST_LABELS[ModerationAction(action)])


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


TEMPLATE_LABELS = {
    "flag_reason_label": flag_reason_label,
    "moderation_action_label": action_label,
    "moderation_action_past_label": action_past_label,
    "moderation_state_label": state_label,
}
