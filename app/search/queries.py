"""Searching: the hits a viewer may see, ranked, a page at a time, in a fixed number of
queries whatever the number of hits.

Each kind of thing is matched in the index and joined back to its own row, which is
filtered there with its area's visibility rules — `visible_to` and `words_shown_to` for
the discussion, `visible_terms` and `visible_proposals` for the glossary — so that a
search never shows what the thread page or the glossary would not. Sections belong to
published versions (a version is stored only when it is published; a preview stores
nothing). The kinds are put together (UNION ALL), ranked, and cut to the page with the
number of all hits beside each row (counted from the same hits, kept once), in one query;
then one query makes the snippets of the page's rows and one per kind on the page loads
what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape
from sqlalchemy import BigInteger, and_, cast, func, literal_column, select, union_all
from sqlalchemy.orm import defer, joinedload

from app.annotations.queries import visible_to, words_shown_to
from app.definitions.queries import visible_proposals, visible_terms
from app.extensions import db
from app.models import (
    Annotation,
    AnnotationKind,
    DefinitionProposal,
    Paper,
    PaperVersion,
    Section,
    StakeholderType,
    Term,
    User,
)
from app.papers.queries import VERSION_COLUMNS
from app.search import terms as parsing
from app.search.engines import Engine, engine_for
from app.search.index import MARK_END, MARK_START, MODEL_OF, Kind, rowid, search_index

PER_PAGE = 20


@dataclass(frozen=True)
class Filters:
    """What the hits are narrowed to. `paper` and `version` (a slug, a label) keep sections
    and threads of that paper or version only; `kind` (comment, question, …) keeps threads
    and replies of that kind; `author` (part of a name), `author_id` and `stakeholder`
    keep contributions of such accounts (sections have no author)."""

    type: Kind | None = None
    paper: str | None = None
    version: str | None = None
    kind: AnnotationKind | None = None
    author: str | None = None
    author_id: int | None = None
    stakeholder: StakeholderType | None = None

    @property
    def by_author(self) -> bool:
        return bool(self.author or self.author_id is not None or self.stakeholder)

    @property
    def in_paper(self) -> bool:
        return bool(self.paper or self.version)

    def wants(self, kind: Kind) -> bool:
        """Whether hits of this kind can pass the filters at all."""
        if self.type is not None and self.type is not kind:
            return False
        if self.kind is not None and kind is not Kind.ANNOTATION:
            return False
        if self.in_paper and kind in (Kind.PROPOSAL, Kind.TERM):
            return False
        return not (self.by_author and kind is Kind.SECTION)


@dataclass
class Hit:
    """One result: what it is, its row (with what a result shows loaded), how well it
    matched, and its snippet as HTML (escaped text, the matched words in `<mark>`)."""

    kind: Kind
    row: Any
    score: float
    snippet_html: str

    @property
    def type(self) -> str:
        return self.kind.label

    @property
    def target(self) -> tuple[str, dict[str, Any]]:
        """Where the result is read: an endpoint and its values (`_anchor` included)."""
        row = self.row
        if self.kind is Kind.SECTION:
            version = row.version
            return "papers.version", {
                "slug": version.paper.slug,
                "label": version.label,
                "_anchor": row.key,
            }
        if self.kind is Kind.ANNOTATION:
            values: dict[str, Any] = {"annotation_id": row.thread_id}
            if not row.is_root:
                values["_anchor"] = f"a{row.id}"
            return "annotations.thread", values
        if self.kind is Kind.PROPOSAL:
            return "definitions.term", {"slug": row.term.slug, "_anchor": f"proposal-{row.id}"}
        return "definitions.term", {"slug": row.slug}

    @property
    def author(self) -> Any:
        return None if self.kind is Kind.SECTION else self.row.author


@dataclass
class Results:
    terms: parsing.Terms
    hits: list[Hit] = field(default_factory=list)
    total: int = 0


def highlighted(snippet: str | None) -> str:
    """A snippet as HTML: the text escaped, then the engine's marks (which the indexed text
    cannot hold) made `<mark>` elements; nothing else of it is markup."""
    escaped = str(escape(snippet or ""))
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _authors(filters: Filters, column: Any) -> list[Any]:
    conditions = []
    if filters.author_id is not None:
        conditions.append(column == filters.author_id)
    if filters.author or filters.stakeholder:
        accounts = select(User.id).where(User.anonymised_at.is_(None))
        if filters.author:
            accounts = accounts.where(
                func.lower(User.stored_name).contains(
                    filters.author.strip().lower(), autoescape=True
                )
            )
        if filters.stakeholder:
            accounts = accounts.where(User.stakeholder_type == filters.stakeholder)
        conditions.append(column.in_(accounts))
    return conditions


def _versions(filters: Filters) -> Any:
    query = select(PaperVersion.id).join(Paper, Paper.id == PaperVersion.paper_id)
    if filters.paper:
        query = query.where(Paper.slug == filters.paper)
    if filters.version:
        query = query.where(PaperVersion.label == filters.version)
    return query


def _joined(engine: Engine, kind: Kind, model: Any) -> Any:
    """The index rows of `kind` joined to their own rows. On PostgreSQL both ways are
    open to the planner: from the matched index rows to the rows by their primary key
    (`ref`), or from the rows (narrowed by a filter) to the index by its key (`rowid`).
    An FTS5 table is always read through MATCH, then joined by the rows' primary keys."""
    if engine.name == "postgresql":
        key = search_index.c.rowid == cast(model.id, BigInteger) * len(Kind) + kind.value
        return and_(key, search_index.c.kind == kind.label, search_index.c.ref == model.id)
    # The kind and the id are read from the rowid, which FTS5 gives for free; reading
    # `kind` and `ref` would fetch each matched row's stored columns.
    rowid = search_index.c.rowid
    return and_(rowid.op("%")(len(Kind)) == kind.value, model.id == rowid.op("/")(len(Kind)))


def _matched(engine: Engine, found: parsing.Terms, kind: Kind, viewer: Any, filters: Filters):
    model = MODEL_OF[kind]
    query = (
        select(
            literal_column(str(kind.value)).label("kind"),
            model.id.label("ref"),
            engine.score(found).label("score"),
        )
        .select_from(search_index)
        .join(model, _joined(engine, kind, model))
        .where(engine.matches(found))
    )
    if kind is Kind.SECTION:
        if filters.in_paper:
            query = query.where(Section.version_id.in_(_versions(filters)))
        return query
    if kind is Kind.ANNOTATION:
        query = query.where(visible_to(viewer), words_shown_to(viewer))
        if filters.in_paper:
            query = query.where(Annotation.version_id.in_(_versions(filters)))
        if filters.kind is not None:
            query = query.where(Annotation.kind == filters.kind)
    elif kind is Kind.PROPOSAL:
        query = query.join(Term, Term.id == DefinitionProposal.term_id).where(
            visible_proposals(viewer), visible_terms(viewer)
        )
    else:
        query = query.where(visible_terms(viewer))
    return query.where(*_authors(filters, model.author_id))


def _loaded(kind: Kind, ids: list[int]) -> dict[int, Any]:
    """The rows of a page, with what their results show: one query per kind."""
    if kind is Kind.SECTION:
        query = select(Section).options(
            defer(Section.html),
            defer(Section.notes),
            joinedload(Section.version).load_only(*VERSION_COLUMNS).joinedload(PaperVersion.paper),
        )
    elif kind is Kind.ANNOTATION:
        query = select(Annotation).options(
            joinedload(Annotation.author),
            joinedload(Annotation.paper),
            joinedload(Annotation.version).load_only(*VERSION_COLUMNS),
        )
    elif kind is Kind.PROPOSAL:
        query = select(DefinitionProposal).options(
            joinedload(DefinitionProposal.author), joinedload(DefinitionProposal.term)
        )
    else:
        query = select(Term).options(joinedload(Term.author))
    model = MODEL_OF[kind]
    return {row.id: row for row in db.session.scalars(query.where(model.id.in_(ids))).unique()}


def search(
    viewer: Any,
    query: str | None,
    filters: Filters | None = None,
    *,
    offset: int = 0,
    limit: int = PER_PAGE,
) -> Results:
    """The hits of `query` that `viewer` may see, best first: `limit` of them from
    `offset`, and how many there are in all. A query without a word finds nothing."""
    filters = filters or Filters()
    found = parsing.parse(query)
    results = Results(found)
    kinds = [kind for kind in Kind if filters.wants(kind)]
    if not found or not kinds:
        return results
    engine = engine_for(db.session)
    # The hits are a common table expression read twice, for the page and for the count,
    # which both engines therefore compute once and keep. Counting them beside the page
    # (rather than with a window over them) lets the page be the best `offset + limit`
    # kept while reading the hits (a top-N sort), not all of them sorted: PostgreSQL
    # otherwise sorts every hit of a common word before cutting the page.
    matched = union_all(*(_matched(engine, found, kind, viewer, filters) for kind in kinds)).cte(
        "matched"
    )
    total = select(func.count()).select_from(matched).scalar_subquery()
    rows = db.session.execute(
        select(matched.c.kind, matched.c.ref, matched.c.score, total)
        .order_by(matched.c.score.desc(), matched.c.kind, matched.c.ref.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    if rows:
        results.total = rows[0][3]
    elif offset:
        results.total = db.session.scalar(select(func.count()).select_from(matched)) or 0
    page = [(Kind(kind), ref, score) for kind, ref, score, _total in rows]
    if not page:
        return results
    snippets = engine.snippets(db.session, found, [rowid(kind, ref) for kind, ref, _ in page])
    # Every kind the filters let through is loaded, even when none of it is on this page,
    # so that a page of results costs the same number of queries whatever it holds.
    loaded = {kind: _loaded(kind, [ref for k, ref, _ in page if k is kind]) for kind in kinds}
    results.hits = [
        Hit(kind, loaded[kind][ref], float(score or 0), highlighted(snippets.get(rowid(kind, ref))))
        for kind, ref, score in page
        if ref in loaded[kind]
    ]
    return results
