"""Papers, their published versions, and the sections of each version."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow


class Paper(Base):
    """A think paper: its identity and what holds across its versions."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    number: Mapped[int | None] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(300))
    comment_opens: Mapped[date | None] = mapped_column(Date)
    comment_closes: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[PaperVersion]] = relationship(
        back_populates="paper", order_by="PaperVersion.sequence"
    )

    @property
    def display_title(self) -> str:
        prefix = " ".join(p for p in (self.series, str(self.number or "")) if p)
        return f"{prefix}: {self.title}" if prefix else self.title


class PaperVersion(Base):
    """One published version; immutable once stored."""

    __tablename__ = "paper_versions"
    __table_args__ = (
        UniqueConstraint("paper_id", "label"),
        UniqueConstraint("paper_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    editors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Other front matter: institution, prepared_for, project_url, ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledgement: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[date | None] = mapped_column(Date)
    change_note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    paper: Mapped[Paper] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.position", cascade="all, delete-orphan"
    )


class Section(Base):
    """A section of one version; `key` ties the same section across versions."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("paper_versions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    parent_key: Mapped[str | None] = mapped_column(String(100))
    # Sanitised HTML of the body, rendered once at import, and its text content:
    # offsets of annotations count code points in `text`.
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # Footnotes first referenced in this section: [{label, html, text}]
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)

    version: Mapped[PaperVersion] = relationship(back_populates="sections")

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title
