"""The search page, `/search?q=`: one box over the papers' sections, the discussion and the
glossary, with filters, ranked results and page links."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Paper
from app.search import queries
from app.search.forms import SearchForm

bp = Blueprint("search", __name__)

# Pages beyond this are not offered (nor read): refine the search instead.
MAX_PAGE = 500


def _number(value: str | None, *, high: int) -> int | None:
    """A whole number from 1 to `high` written in ASCII digits, else None."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    number = int(value)
    return number if 1 <= number <= high else None


def _papers() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Paper.slug, Paper.title).order_by(Paper.number, Paper.slug))
    return [(slug, title) for slug, title in rows]


@bp.get("/search")
def index():
    """Search papers, comments and definitions; the filters narrow, the pages go on."""
    form = SearchForm(request.args, _papers())
    page = _number(request.args.get("page"), high=MAX_PAGE) or 1
    author_id = _number(request.args.get("author_id"), high=2**31 - 1)
    asked = bool((form.q.data or "").strip())
    results = None
    status = 200
    if asked and not form.validate():
        status = 400
    elif asked:
        results = queries.search(
            current_user,
            form.q.data,
            form.filters(author_id),
            offset=(page - 1) * queries.PER_PAGE,
            limit=queries.PER_PAGE,
        )
    pages = 0
    if results is not None:
        pages = min(-(-results.total // queries.PER_PAGE), MAX_PAGE)
    return render_template(
        "search/index.html",
        form=form,
        results=results,
        page=page,
        pages=pages,
        per_page=queries.PER_PAGE,
        author_id=author_id,
    ), status
