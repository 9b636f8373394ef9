"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from app.models.annotation import (
    Annotation,
    AnnotationKind,
    AnnotationRevision,
    AnnotationStatus,
    TargetType,
)
from app.models.base import Base
from app.models.moderation import (
    Flag,
    FlagReason,
    ModerationAction,
    ModerationLog,
    TargetKind,
)
from app.models.paper import Paper, PaperVersion, Section
from app.models.user import ApiToken, Role, StakeholderType, User

__all__ = [
    "Annotation",
    "AnnotationKind",
    "AnnotationRevision",
    "AnnotationStatus",
    "ApiToken",
    "Base",
    "Flag",
    "FlagReason",
    "ModerationAction",
    "ModerationLog",
    "Paper",
    "PaperVersion",
    "Role",
    "Section",
    "StakeholderType",
    "TargetKind",
    "TargetType",
    "User",
]
