"""Editors' changes to papers. Services add and flush; the request commits."""

from __future__ import annotations

from datetime import date

from app.extensions import db
from app.models import Paper


def set_comment_period(paper: Paper, opens: date | None, closes: date | None) -> None:
    """When the paper takes new annotations: both dates inclusive, either may be open-ended.

    Importing a later version whose front matter sets a period replaces this one.
    """
    if opens and closes and closes < opens:
        raise ValueError("the period cannot close before it opens")
    paper.comment_opens, paper.comment_closes = opens, closes
    db.session.flush()
