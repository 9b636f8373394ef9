"""Human labels of moderation values, marked for translation."""

import enum

from app.core.i18n import lazy_gettext as _l
from app.models import AnnotationStatus, FlagReason, ModerationAction, Role
from app.moderation.states import AccountState, ModerationState

FLAG_REASON_LABELS = {
    FlagReason.SPAM: _l("Spam"),
    FlagReason.ABUSE: _l("Abuse or harassment"),
    FlagReason.OFF_TOPIC: _l("Off topic"),
    FlagReason.PERSONAL_DATA: _l("Personal data"),
    FlagReason.OTHER: _l("Other"),
}

ACTION_LABELS = {
    ModerationAction.APPROVE: _l("approve"),
    ModerationAction.KEEP_PUBLISHED: _l("keep published"),
    ModerationAction.REJECT: _l("reject"),
    ModerationAction.HIDE: _l("hide"),
    ModerationAction.RESTORE: _l("restore"),
    ModerationAction.SUSPEND: _l("suspend"),
    ModerationAction.REINSTATE: _l("reinstate"),
    ModerationAction.RESTRICT: _l("restrict"),
    ModerationAction.UNRESTRICT: _l("lift the restriction"),
    ModerationAction.CHANGE_ROLE: _l("change the role"),
}

# Reasons moderators give often, offered beside the free text of a decision's reason. The
# key is what the form sends; the words, in the moderator's language, go into the log.
PRESET_REASONS = {
    "terms": _l("Within the terms of participation"),
    "spam": _l("Spam or advertising"),
    "abuse": _l("Abuse or harassment"),
    "off_topic": _l("Off topic"),
    "personal_data": _l("Personal data"),
    "duplicate": _l("Duplicate"),
}

# What an action did, for the log and for the people it concerns.
ACTION_PAST_LABELS = {
    ModerationAction.APPROVE: _l("Approved"),
    ModerationAction.KEEP_PUBLISHED: _l("Kept published"),
    ModerationAction.REJECT: _l("Rejected"),
    ModerationAction.HIDE: _l("Hidden"),
    ModerationAction.RESTORE: _l("Restored"),
    ModerationAction.SUSPEND: _l("Suspended"),
    ModerationAction.REINSTATE: _l("Reinstated"),
    ModerationAction.RESTRICT: _l("Restricted"),
    ModerationAction.UNRESTRICT: _l("Restriction lifted"),
    ModerationAction.CHANGE_ROLE: _l("Role changed"),
}

# A state's words, by the state (a kind's status or a log row's stored value finds the
# same entry: the states are string enums).
STATE_LABELS = {
    ModerationState.PENDING: _l("awaiting review"),
    ModerationState.PUBLISHED: _l("published"),
    ModerationState.HIDDEN: _l("hidden"),
    ModerationState.REJECTED: _l("rejected"),
    AnnotationStatus.DELETED: _l("deleted"),
    AccountState.ACTIVE: _l("active"),
    AccountState.SUSPENDED: _l("suspended"),
    AccountState.RESTRICTED: _l("restricted"),
    # A role change logs the roles as its old and new state.
    Role.PARTICIPANT: _l("participant"),
    Role.MODERATOR: _l("moderator"),
    Role.EDITOR: _l("series editor"),
    Role.ADMIN: _l("administrator"),
}


def flag_reason_label(reason: FlagReason | str) -> str:
    return str(FLAG_REASON_LABELS[FlagReason(reason)])


def action_label(action: ModerationAction | str) -> str:
    return str(ACTION_LABELS[ModerationAction(action)])


def action_past_label(action: ModerationAction | str) -> str:
    return str(ACTION_PAST_LABELS[ModerationAction(action)])


def state_label(state: enum.Enum | str) -> str:
    """The words of a state: a moderation or account state, a kind's status, or the value
    a log row stored."""
    value = state.value if isinstance(state, enum.Enum) else state
    return str(STATE_LABELS.get(value, value))


TEMPLATE_LABELS = {
    "flag_reason_label": flag_reason_label,
    "moderation_action_label": action_label,
    "moderation_action_past_label": action_past_label,
    "moderation_state_label": state_label,
}
