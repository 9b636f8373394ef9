"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from app.models.annotation import (
    Anchor,
    AnchorStatus,
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    Disposition,
    DispositionOutcome,
    TargetType,
)
from app.models.base import Base
from app.models.definitions import (
    CommentStatus,
    DefinitionProposal,
    ProposalComment,
    ProposalStatus,
    Term,
    TermStatus,
    Vote,
    VoteStance,
)
from app.models.idempotency import IdempotencyRecord
from app.models.mail import MailStatus, OutgoingMail
from app.models.moderation import (
    Flag,
    FlagReason,
    ModerationAction,
    ModerationLog,
    TargetKind,
)
from app.models.notifications import (
    Delivery,
    Follow,
    FollowTarget,
    Notification,
    NotificationKind,
    NotificationSetting,
    NotificationTarget,
)
from app.models.paper import Paper, PaperVersion, Section
from app.models.revisions import SITE_SCOPE, PageRevision
from app.models.user import ApiToken, Role, StakeholderType, User, UserSession

__all__ = [
    "SITE_SCOPE",
    "Anchor",
    "AnchorStatus",
    "Annotation",
    "AnnotationKind",
    "AnnotationRevision",
    "AnnotationStatus",
    "ApiToken",
    "Base",
    "CommentStatus",
    "DefinitionProposal",
    "Delivery",
    "Disposition",
    "DispositionOutcome",
    "Flag",
    "FlagReason",
    "Follow",
    "FollowTarget",
    "IdempotencyRecord",
    "MailStatus",
    "ModerationAction",
    "ModerationLog",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "NotificationTarget",
    "OutgoingMail",
    "PageRevision",
    "Paper",
    "PaperVersion",
    "ProposalComment",
    "ProposalStatus",
    "Role",
    "Section",
    "StakeholderType",
    "TargetKind",
    "TargetType",
    "Term",
    "TermStatus",
    "User",
    "UserSession",
    "Vote",
    "VoteStance",
]
