"""Accounts, their API tokens and their logged-in browser sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    MODERATOR = "moderator"
    EDITOR = "editor"
    ADMIN = "admin"


class StakeholderType(enum.StrEnum):
    PUBLIC_ADMINISTRATION = "public_administration"
    ACADEMIA = "academia"
    BUSINESS = "business"
    CIVIL_SOCIETY = "civil_society"
    EU_INSTITUTION = "eu_institution"
    OTHER = "other"


# What a deleted (anonymised) account is called wherever its name would show, and what
# its name column holds (in English, so that a look at the database reads the same).
FORMER_PARTICIPANT = "Former participant"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Read and written as `display_name`, which names an anonymised account for readers.
    stored_name: Mapped[str] = mapped_column("display_name", String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.PARTICIPANT)
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    stakeholder_type: Mapped[StakeholderType] = mapped_column(
        enum_column(StakeholderType, "stakeholder_type"), default=StakeholderType.OTHER
    )
    country: Mapped[str | None] = mapped_column(String(2))
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Trusted accounts skip pre-moderation (accounts made with `flask users create`).
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Restricted accounts (Hypothesis's "NIPSA") go on posting, but what they post is
    # seen by themselves and moderators only.
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped to end every session of the account at once (log out everywhere,
    # password change, suspension): it is part of the id kept in the session.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # The interface language the account chose (a locale of config LANGUAGES, "fr"):
    # its pages and its mail are in it. None until chosen: then the browser's language.
    locale: Mapped[str | None] = mapped_column(String(16))

    # Not a column: the key of the server-side session (`UserSession`) this object was
    # loaded or logged in for, in this request; part of the id kept in the cookie.
    session_key = None

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )

    @hybrid_property
    def display_name(self) -> str:
        """The name shown with the account's contributions, in pages, the API, exports
        and mail alike: "Former participant", in the reader's language, once the account
        is deleted, whatever the column still holds."""
        if self.anonymised_at is not None:
            return gettext("Former participant")
        return self.stored_name

    @display_name.inplace.setter
    def _set_display_name(self, value: str) -> None:
        self.stored_name = value

    @display_name.inplace.expression
    @classmethod
    def _display_name_column(cls):
        return cls.stored_name

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and remember-me cookies:
        `user_id:session_version:session_key`."""
        return f"{self.id}:{self.session_version}:{self.session_key or ''}"

    @property
    def is_suspended(self) -> bool:
        """Suspended now: indefinitely, or until a time still to come."""
        if self.suspended_at is None:
            return False
        return self.suspended_until is None or self.suspended_until > utcnow()

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return not self.is_suspended and self.anonymised_at is None

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    # sha256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class UserSession(Base):
    """One logged-in browser session, kept on the server.

    The browser holds a random key in its signed cookie; only the key's sha256 is
    stored. Log-out sets `ended_at`, after which the key (and any copy of the cookie,
    the remember-me cookie included) names no one. A session belongs to the account's
    `session_version` it was opened under: bumping that ends it too.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Updated at most once every few minutes (see app.accounts.sessions).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "Firefox on Linux": a summary, not the whole header.
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    client_address: Mapped[str] = mapped_column(String(45), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
