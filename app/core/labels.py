"""Human labels of stored values, marked for translation; one place for forms and pages."""

from app.core.i18n import lazy_gettext as _l
from app.models import Role, StakeholderType

ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.MODERATOR: _l("Moderator"),
    Role.EDITOR: _l("Series editor"),
    Role.ADMIN: _l("Administrator"),
}

STAKEHOLDER_LABELS = {
    StakeholderType.PUBLIC_ADMINISTRATION: _l("Public administration"),
    StakeholderType.ACADEMIA: _l("Academia and research"),
    StakeholderType.BUSINESS: _l("Business"),
    StakeholderType.CIVIL_SOCIETY: _l("Civil society"),
    StakeholderType.EU_INSTITUTION: _l("EU institution"),
    StakeholderType.OTHER: _l("Other"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])


def stakeholder_label(kind: StakeholderType) -> str:
    return str(STAKEHOLDER_LABELS[kind])


TEMPLATE_LABELS = {"role_label": role_label, "stakeholder_label": stakeholder_label}
