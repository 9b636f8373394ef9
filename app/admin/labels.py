"""Human labels of the outbox's stored values, marked for translation."""

from app.core.i18n import lazy_gettext as _l
from app.models import MailStatus

MAIL_STATUS_LABELS = {
    MailStatus.PENDING: _l("Pending"),
    MailStatus.SENDING: _l("Sending"),
    MailStatus.SENT: _l("Sent"),
    MailStatus.FAILED: _l("Failed"),
}


def mail_status_label(status: MailStatus) -> str:
    return str(MAIL_STATUS_LABELS[status])
