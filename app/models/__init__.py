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
    "Anchor",
    "AnchorStatus",
    "Annotation",
    "AnnotationKind",
    "AnnotationRevision",
    "AnnotationStatus",
    "ApiToken",
    "Base",
    "Disposition",
    "DispositionOutcome",
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
