"""Moderation pages."""

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from app.core.access import require
from app.core.permissions import can_moderate
from app.extensions import db
from app.models import User

bp = Blueprint("moderation", __name__)
PAGE_SIZE = 50


@bp.route("/")
@require(can_moderate)
def index():
    """The newest accounts, so moderators know who has joined and from where."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.scalar(select(func.count(User.id)).where(User.anonymised_at.is_(None)))
    users = db.session.scalars(
        select(User)
        .where(User.anonymised_at.is_(None))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "moderation/index.html", users=users, page=page, total=total, page_size=PAGE_SIZE
    )
