"""What an API POST answered, kept under the client's `Idempotency-Key` for a day.

A client that lost the answer to a POST (a dropped connection, a worker killed before
it replied) sends the request again with the same key; the stored answer is sent back
instead of doing the work twice. The record is written in the same transaction as what
the request created, so either both are stored or neither is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class IdempotencyRecord(Base):
    """One key of one account: the request it named (a fingerprint) and what it answered.

    Keys are the client's, so they are unique per account, not site-wide: two accounts
    may well pick the same one. `status` is empty only inside the transaction of the
    request that claimed the key; what is committed always carries the answer.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 (hex) of the method, the path with its query string and the canonical body.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    # The answer's bytes exactly as first sent, its media type and Location header.
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    content_type: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(Text)
    # Records older than IDEMPOTENCY_TTL are ignored, and pruned a few at a time.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
