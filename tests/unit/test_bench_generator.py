"""The benchmark's generator gives the same site for the same seed, with real passages;
the floor's wrapper answers its stored page and passes everything else on."""

from __future__ import annotations

from sqlalchemy import delete, select

from app.models import Annotation, Section, User
from app.models.annotation import Disposition
from app.models.definitions import DefinitionProposal, Term, Vote
from bench.floor import FLOOR_PATH, Floor
from bench.seed import generate, paper_sources

TINY = {"annotations": 60, "popular": 40, "papers": 1, "accounts": 12, "terms": 3}


def _snapshot(db) -> dict:
    """What was generated, without ids (they depend on what the database held before)."""
    rows = db.session.execute(
        select(
            Annotation.section_key,
            Annotation.kind,
            Annotation.status,
            Annotation.target,
            Annotation.quote_exact,
            Annotation.body,
            Annotation.depth,
            User.stored_name,
        )
        .join(User, User.id == Annotation.author_id)
        .order_by(Annotation.id)
    ).all()
    proposals = db.session.execute(
        select(Term.label, DefinitionProposal.status, DefinitionProposal.support_count)
        .join(Term, Term.id == DefinitionProposal.term_id)
        .order_by(DefinitionProposal.id)
    ).all()
    accounts = db.session.execute(
        select(User.email, User.role, User.stakeholder_type, User.country).order_by(User.id)
    ).all()
    return {"annotations": rows, "proposals": proposals, "accounts": accounts}


def _forget(db) -> None:
    for table in (Disposition, Vote, DefinitionProposal, Term, Annotation, User):
        db.session.execute(delete(table))
    db.session.commit()


def test_the_same_seed_makes_the_same_site_on_real_passages(db, import_paper, tmp_path):
    import_paper()
    generated = paper_sources(TINY["papers"], tmp_path)[1]
    import_paper((generated / "5.0.md").read_text(encoding="utf-8"), slug=generated.name)

    made = generate(TINY, seed=3)
    db.session.commit()
    first = _snapshot(db)
    assert made["threads"] + made["replies"] == TINY["annotations"]
    assert made["accounts"] == TINY["accounts"]
    assert made["terms"] == TINY["terms"] and made["proposals"] >= 2 * TINY["terms"]

    texts = {(s.version_id, s.key): s.text for s in db.session.scalars(select(Section))}
    passages = db.session.scalars(select(Annotation).where(Annotation.quote_exact.is_not(None)))
    passages = list(passages)
    assert passages
    for passage in passages:
        text = texts[(passage.version_id, passage.section_key)]
        assert text[passage.quote_start : passage.quote_end] == passage.quote_exact

    _forget(db)
    generate(TINY, seed=3)
    db.session.commit()
    assert _snapshot(db) == first
    _forget(db)
    generate(TINY, seed=4)
    db.session.commit()
    assert _snapshot(db)["annotations"] != first["annotations"]


def test_the_floor_answers_its_page_and_passes_the_rest_on():
    calls = []

    def site(environ, start_response):
        calls.append(environ["PATH_INFO"])
        start_response("404 NOT FOUND", [("Content-Type", "text/plain")])
        return [b"site"]

    floor = Floor(site, b"<p>stored page</p>")
    answers = []

    def start_response(status, headers):
        answers.append((status, dict(headers)))

    assert floor({"PATH_INFO": FLOOR_PATH}, start_response) == [b"<p>stored page</p>"]
    assert answers[-1] == (
        "200 OK",
        {"Content-Type": "text/html; charset=utf-8", "Content-Length": "18"},
    )
    assert calls == []
    assert floor({"PATH_INFO": "/papers/"}, start_response) == [b"site"]
    assert answers[-1][0] == "404 NOT FOUND" and calls == ["/papers/"]
