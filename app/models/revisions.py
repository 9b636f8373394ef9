"""How far the public pages have changed: one counter per paper and one for the site."""

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow

# The scope of what shows on every paper's pages (glossary, accounts); others are paper ids.
SITE_SCOPE = 0


class PageRevision(Base):
    """A counter raised in the transaction that changes what its scope's pages show, so that
    a page rendered for anonymous readers (and its ETag) can be kept until it moves.

    Not a foreign key to `papers`: scope 0 is the whole site, and a counter outliving its
    paper names nothing any page asks for."""

    __tablename__ = "page_revisions"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
