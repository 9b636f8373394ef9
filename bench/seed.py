"""Discussion data for benchmarks: many threads and replies on Think Paper 1.

Rows are inserted in bulk (not through the services, which would take minutes for
thousands of rows), but shaped as the services shape them: passages are real spans
of the section texts with their 32-character context. Bulk inserts do not pass through
the session's flush, so the search index does not follow them: run `flask search
reindex` (bench/search.py does) before searching them.

With a `vocabulary` (words in order of frequency, most frequent first), bodies are
12–40 words drawn from it with Zipf-like odds (a word's weight is 1 / its rank), so that
a search meets common and rare words as it would in a real discussion; without one they
are the short fixed sentences the page benchmarks have always used.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from app.accounts.services import hash_password, token_digest
from app.core.anchoring import block_spans, quote_at
from app.extensions import db
from app.models import Annotation, Paper, PaperVersion, Role, Section, StakeholderType, User
from app.models.annotation import (
    AnnotationKind,
    AnnotationStatus,
    Disposition,
    DispositionOutcome,
    TargetType,
)
from app.models.base import utcnow
from app.models.definitions import (
    DefinitionProposal,
    ProposalStatus,
    Term,
    TermStatus,
    Vote,
    VoteStance,
)
from app.models.user import ApiToken

KINDS = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]


def _bodies(rng: random.Random, vocabulary: list[str] | None, fixed: str):
    """A body: `fixed` without a vocabulary, else 12–40 words drawn from it."""
    if not vocabulary:
        return fixed
    weights = _weights(len(vocabulary))
    words = rng.choices(vocabulary, cum_weights=weights, k=rng.randrange(12, 41))
    return " ".join(words).capitalize() + "."


@functools.lru_cache(maxsize=256)
def _spans(text: str) -> list[tuple[int, int]]:
    """The blocks of a section's text, found once per text (a site has a few hundred)."""
    return block_spans(text)


def _passage(rng: random.Random, text: str) -> dict:
    """The columns of a passage target: a real span of `text` (within one block, 12–80
    characters) with its W3C quote selector, as the site stores it; {} when `text` has
    no block to quote."""
    spans = _spans(text)
    if not spans:
        return {}
    begin, end = rng.choice(spans)
    if end - begin > 40:
        begin = rng.randrange(begin, end - 20)
        end = min(end, begin + rng.randrange(12, 80))
    quote = quote_at(text, begin, end)
    return {
        "target": TargetType.PASSAGE,
        "quote_exact": quote.exact,
        "quote_prefix": quote.prefix,
        "quote_suffix": quote.suffix,
        "quote_start": quote.start,
        "quote_end": quote.end,
    }


_CUMULATIVE: dict[int, list[float]] = {}


def _weights(size: int) -> list[float]:
    if size not in _CUMULATIVE:
        total, cumulative = 0.0, []
        for rank in range(1, size + 1):
            total += 1.0 / rank
            cumulative.append(total)
        _CUMULATIVE[size] = cumulative
    return _CUMULATIVE[size]


def seed_annotations(
    paper_slug: str,
    threads: int,
    replies: int,
    seed: int = 1,
    vocabulary: list[str] | None = None,
) -> None:
    """Add `threads` roots and `replies` replies to the latest version of a paper (their
    words drawn from `vocabulary` when one is given)."""
    rng = random.Random(seed)
    version = db.session.scalar(
        select(PaperVersion)
        .join(PaperVersion.paper)
        .where(PaperVersion.paper.has(slug=paper_slug))
        .order_by(PaperVersion.sequence.desc())
        .limit(1)
    )
    sections = [
        s
        for s in db.session.scalars(
            select(Section).where(Section.version_id == version.id).order_by(Section.position)
        )
        if s.text.strip()
    ]  # fmt: skip
    authors = []
    for n in range(40):
        stakeholders = list(StakeholderType)
        user = User(
            email=f"bench{n}@example.org",
            display_name=f"Reader {n}",
            role=Role.PARTICIPANT,
            stakeholder_type=stakeholders[n % len(stakeholders)],
        )
        user.email_confirmed_at = utcnow()
        db.session.add(user)
        authors.append(user)
    db.session.flush()

    start_time = utcnow() - timedelta(days=30)
    rows = []
    for n in range(threads):
        section = rng.choice(sections)
        created = start_time + timedelta(minutes=n)
        body = _bodies(rng, vocabulary, f"Thread {n}: a remark on this section.")
        row = {
            "paper_id": version.paper_id,
            "version_id": version.id,
            "section_key": section.key,
            "author_id": rng.choice(authors).id,
            "kind": rng.choice(KINDS),
            "status": AnnotationStatus.PUBLISHED,
            "target": TargetType.SECTION,
            "body": body,
            "body_html": f"<p>{body}</p>",
            "depth": 0,
            "created_at": created,
            "updated_at": created,
        }
        if n % 3:
            row.update(_passage(rng, section.text))
        rows.append(row)
    db.session.execute(insert(Annotation), rows)
    roots = db.session.execute(
        select(Annotation.id, Annotation.section_key, Annotation.created_at)
        .where(Annotation.version_id == version.id, Annotation.parent_id.is_(None))
        .order_by(Annotation.id)
    ).all()
    reply_rows = []
    for n in range(replies):
        root_id, key, created = rng.choice(roots)
        when = created + timedelta(minutes=n % 500 + 1)
        body = _bodies(rng, vocabulary, f"Reply {n}.")
        reply_rows.append(
            {
                "paper_id": version.paper_id,
                "version_id": version.id,
                "section_key": key,
                "author_id": rng.choice(authors).id,
                "parent_id": root_id,
                "root_id": root_id,
                "depth": 1,
                "kind": AnnotationKind.COMMENT,
                "status": AnnotationStatus.PUBLISHED,
                "target": TargetType.SECTION,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "created_at": when,
                "updated_at": when,
            }
        )
    if reply_rows:
        db.session.execute(insert(Annotation), reply_rows)
    db.session.flush()


# --- a whole site at a size: papers, accounts, discussions, glossary ------------------------

ROOT = Path(__file__).resolve().parent.parent
PAPER = "think-paper-1"
WORD = re.compile(r"[a-z]{3,}")
# Annotations in all, and on Think Paper 1 (the popular paper; the rest goes to quieter
# generated papers), generated papers, accounts and glossary terms, per size.
SIZES = {
    "S": {"annotations": 1_000, "popular": 800, "papers": 2, "accounts": 60, "terms": 12},
    "M": {"annotations": 10_000, "popular": 8_000, "papers": 3, "accounts": 200, "terms": 30},
    "L": {"annotations": 100_000, "popular": 8_000, "papers": 11, "accounts": 1_000, "terms": 60},
}
ROOT_SHARE = 0.4  # threads among annotations; the rest are replies
COUNTRIES = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "NO", "CH", "GB",
    None,
]  # fmt: skip
# Odds of an annotation's status: mostly published, some awaiting or out of sight.
STATUSES = [
    (AnnotationStatus.PUBLISHED, 90),
    (AnnotationStatus.PENDING, 5),
    (AnnotationStatus.HIDDEN, 3),
    (AnnotationStatus.REJECTED, 1),
    (AnnotationStatus.DELETED, 1),
]
# The benchmark's own accounts: a signed-in reader and the posting clients.
READER_EMAIL = "reader@bench.example.org"
READER_PASSWORD = "bench reader password 1"  # noqa: S105 (a throw-away site)
POSTERS = 8


def vocabulary() -> list[str]:
    """The words of Think Paper 1 5.0, most frequent first."""
    text = (ROOT / "papers" / PAPER / "5.0.md").read_text(encoding="utf-8").lower()
    counts = Counter(WORD.findall(text.split("---", 2)[-1]))
    return [word for word, _n in counts.most_common()]


def paper_sources(count: int, folder: Path) -> list[Path]:
    """Think Paper 1 from papers/, and `count` generated papers written into `folder`:
    Think Paper 1's text under another number and title, in two versions (5.0, and the
    reworded 5.1 of the re-anchoring tests), as folders `flask papers import` takes."""
    sources = [ROOT / "papers" / PAPER]
    texts = [
        (ROOT / "papers" / PAPER / "5.0.md").read_text(encoding="utf-8"),
        (ROOT / "tests" / "data" / "reanchoring" / "5.1.md").read_text(encoding="utf-8"),
    ]
    for n in range(2, count + 2):
        paper = folder / f"think-paper-{n}"
        paper.mkdir(parents=True, exist_ok=True)
        for label, text in zip(("5.0", "5.1"), texts, strict=True):
            text = text.replace("\nnumber: 1\n", f"\nnumber: {n}\n", 1)
            text = text.replace('\ntitle: "', f'\ntitle: "Generated paper {n}: ', 1)
            (paper / f"{label}.md").write_text(text, encoding="utf-8")
        sources.append(paper)
    return sources


def generate(size: str | dict[str, int], seed: int = 1) -> dict[str, int]:
    """Accounts, discussions and a glossary of `size` (a name of SIZES, or a plan of the
    same shape) on the imported papers, in bulk (SQLAlchemy Core), the same for the same
    seed. Returns what was made, by kind.

    The caller imports the papers first (`paper_sources`), commits afterwards and rebuilds
    the search index (bulk rows do not pass through it)."""
    plan = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(seed)
    words = vocabulary()
    users = _accounts(rng, plan["accounts"])
    participants = [u for u, role in users if role is Role.PARTICIPANT]
    editors = [u for u, role in users if role in (Role.EDITOR, Role.ADMIN)]
    versions = db.session.execute(
        select(PaperVersion.id, PaperVersion.paper_id, Paper.slug)
        .join(Paper, Paper.id == PaperVersion.paper_id)
        .order_by(Paper.id, PaperVersion.sequence)
    ).all()
    latest = {slug: (vid, pid) for vid, pid, slug in versions}  # the last one wins
    others = sorted(slug for slug in latest if slug != PAPER)
    shares = {PAPER: plan["popular"]}
    rest = plan["annotations"] - plan["popular"]
    for n, slug in enumerate(others):
        shares[slug] = rest // len(others) + (1 if n < rest % len(others) else 0)
    made = Counter(accounts=len(users))
    for slug, count in shares.items():
        version_id, paper_id = latest[slug]
        made += _discussion(rng, words, paper_id, version_id, count, participants, editors)
    made += _glossary(rng, words, plan["terms"], participants, editors)
    db.session.flush()
    return dict(made)


def _accounts(rng: random.Random, count: int) -> list[tuple[int, Role]]:
    """`count` confirmed accounts: one of each role first, then mostly participants, every
    stakeholder type and country in turn; plus the benchmark's reader and posters."""
    roles = list(Role)
    stakeholders = list(StakeholderType)
    now = utcnow()
    rows = []
    for n in range(count):
        role = roles[n] if n < len(roles) else Role.PARTICIPANT
        if n >= len(roles) and n % 40 == 0:
            role = rng.choice([Role.MODERATOR, Role.EDITOR])
        rows.append(
            {
                "email": f"account{n}@bench.example.org",
                "stored_name": f"Reader {n}",
                "role": role,
                "stakeholder_type": stakeholders[n % len(stakeholders)],
                "country": COUNTRIES[n % len(COUNTRIES)],
                "affiliation": f"Organisation {n % 17}",
                "email_confirmed_at": now,
                "terms_accepted_at": now,
                "trusted": n % 3 != 0,
                "created_at": now - timedelta(days=60 - n % 60),
            }
        )
    db.session.execute(insert(User), rows)
    reader = User(
        email=READER_EMAIL,
        display_name="Bench reader",
        password_hash=hash_password(READER_PASSWORD),
        email_confirmed_at=now,
        terms_accepted_at=now,
        trusted=True,
    )
    db.session.add(reader)
    for n in range(POSTERS):
        poster = User(
            email=f"poster{n}@bench.example.org",
            display_name=f"Poster {n}",
            email_confirmed_at=now,
            terms_accepted_at=now,
            trusted=True,
        )
        db.session.add(poster)
        digest = token_digest(poster_token(n))
        db.session.add(ApiToken(user=poster, label="bench", token_hash=digest))
    db.session.flush()
    return [
        (row.id, row.role)
        for row in db.session.execute(
            select(User.id, User.role)
            .where(User.email.like("account%@bench.example.org"))
            .order_by(User.id)  # the order a seed draws from: PostgreSQL keeps none by itself
        )
    ]


def poster_token(n: int) -> str:
    """The API token of posting client `n` (a fixed value: the site is a throw-away one)."""
    return f"tpc_bench_poster_{n:02d}_" + "x" * 24


def _status(rng: random.Random) -> AnnotationStatus:
    return rng.choices([s for s, _w in STATUSES], weights=[w for _s, w in STATUSES])[0]


def _discussion(rng, words, paper_id, version_id, count, authors, editors) -> Counter:
    """`count` annotations on one version: threads (passages and whole sections, every
    kind but suggestions) and replies to them, with editors' dispositions on some."""
    sections = [
        (key, text)
        for key, text in db.session.execute(
            select(Section.key, Section.text)
            .where(Section.version_id == version_id)
            .order_by(Section.position)
        )
        if text.strip()
    ]
    kinds = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]
    threads = max(1, round(count * ROOT_SHARE)) if count else 0
    start = utcnow() - timedelta(days=30)
    rows = []
    for n in range(threads):
        key, text = rng.choice(sections)
        created = start + timedelta(seconds=n * 7)
        body = _bodies(rng, words, "")
        row = {
            "paper_id": paper_id,
            "version_id": version_id,
            "section_key": key,
            "author_id": rng.choice(authors),
            "kind": rng.choice(kinds),
            "status": _status(rng),
            "target": TargetType.SECTION,
            "body": body,
            "body_html": f"<p>{body}</p>",
            "depth": 0,
            "created_at": created,
            "updated_at": created,
        }
        if rng.random() < 0.7:
            row.update(_passage(rng, text))
        rows.append(row)
    if rows:
        db.session.execute(insert(Annotation), rows)
    roots = db.session.execute(
        select(Annotation.id, Annotation.section_key, Annotation.created_at, Annotation.status)
        .where(Annotation.version_id == version_id, Annotation.parent_id.is_(None))
        .order_by(Annotation.id)
    ).all()
    reply_rows = []
    for n in range(count - threads):
        root_id, key, created, _ = rng.choice(roots)
        when = created + timedelta(minutes=n % 500 + 1)
        body = _bodies(rng, words, "")
        reply_rows.append(
            {
                "paper_id": paper_id,
                "version_id": version_id,
                "section_key": key,
                "author_id": rng.choice(authors),
                "parent_id": root_id,
                "root_id": root_id,
                "depth": 1,
                "kind": AnnotationKind.COMMENT,
                "status": _status(rng),
                "target": TargetType.SECTION,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "created_at": when,
                "updated_at": when,
            }
        )
    if reply_rows:
        db.session.execute(insert(Annotation), reply_rows)
    answers = []
    for root_id, _key, created, status in roots:
        if status is AnnotationStatus.PUBLISHED and rng.random() < 0.1:
            response = _bodies(rng, words, "")
            answers.append(
                {
                    "annotation_id": root_id,
                    "editor_id": rng.choice(editors),
                    "outcome": rng.choice(list(DispositionOutcome)),
                    "response": response,
                    "response_html": f"<p>{response}</p>",
                    "created_at": created + timedelta(days=1),
                }
            )
    if answers:
        db.session.execute(insert(Disposition), answers)
    return Counter(threads=threads, replies=count - threads, dispositions=len(answers))


def _glossary(rng, words, count, authors, editors) -> Counter:
    """`count` terms (words of the paper), two or three proposed definitions each, votes on
    them with their counts, and an adopted definition for most terms."""
    labels = [w for w in words if len(w) >= 7][:count]
    now = utcnow()
    term_statuses = [TermStatus.PUBLISHED] * 8 + [TermStatus.PENDING, TermStatus.HIDDEN]
    db.session.execute(
        insert(Term),
        [
            {
                "label": label.capitalize(),
                "label_key": label.casefold(),
                "slug": label,
                "aliases": [],
                "author_id": rng.choice(authors),
                "status": term_statuses[n % len(term_statuses)],
                "created_at": now - timedelta(days=20),
                "updated_at": now - timedelta(days=20),
            }
            for n, label in enumerate(labels)
        ],
    )
    terms = db.session.execute(select(Term.id, Term.status).order_by(Term.id)).all()
    proposals, votes = 0, 0
    for term_id, term_status in terms:
        adopted = term_status is TermStatus.PUBLISHED and rng.random() < 0.7
        for n in range(rng.randint(2, 3)):
            text = _bodies(rng, words, "")
            status = ProposalStatus.PUBLISHED
            if n == 0 and adopted:
                status = ProposalStatus.ADOPTED
            elif rng.random() < 0.1:
                status = ProposalStatus.PENDING
            voters = rng.sample(authors, min(len(authors), rng.randint(0, 12)))
            stances = [rng.choice(list(VoteStance)) for _ in voters]
            row = {
                "term_id": term_id,
                "author_id": rng.choice(authors),
                "text": text,
                "text_html": f"<p>{text}</p>",
                "rationale": "",
                "rationale_html": "",
                "status": status,
                "created_at": now - timedelta(days=10 - n),
                "updated_at": now - timedelta(days=10 - n),
                "support_count": stances.count(VoteStance.SUPPORT),
                "oppose_count": stances.count(VoteStance.OPPOSE),
            }
            if status is ProposalStatus.ADOPTED:
                row.update(
                    adopted_text=text,
                    adopted_html=f"<p>{text}</p>",
                    adopted_at=now - timedelta(days=2),
                    adopted_by_id=rng.choice(editors),
                )
            proposal_id = db.session.execute(
                insert(DefinitionProposal).values(**row).returning(DefinitionProposal.id)
            ).scalar_one()
            proposals += 1
            if voters:
                db.session.execute(
                    insert(Vote),
                    [
                        {"proposal_id": proposal_id, "user_id": voter, "stance": stance}
                        for voter, stance in zip(voters, stances, strict=True)
                    ],
                )
                votes += len(voters)
    return Counter(terms=len(terms), proposals=proposals, votes=votes)


def long_thread(slug: str, size: int, seed: int = 1) -> int:
    """One published thread of `size` annotations (a root and its replies) on the first
    section of a paper's latest version, as the comparison with a comment server reads it;
    the root's id."""
    rng = random.Random(seed)
    words = vocabulary()
    version_id, paper_id, key = db.session.execute(
        select(PaperVersion.id, PaperVersion.paper_id, Section.key)
        .join(Section, Section.version_id == PaperVersion.id)
        .join(Paper, Paper.id == PaperVersion.paper_id)
        .where(Paper.slug == slug, Section.text != "")
        .order_by(PaperVersion.sequence.desc(), Section.position)
        .limit(1)
    ).one()
    authors = list(
        db.session.scalars(select(User.id).where(User.email.like("account%")).order_by(User.id))
    )
    start = utcnow() - timedelta(days=5)
    rows = []
    for n in range(size):
        body = _bodies(rng, words, "")
        rows.append(
            {
                "paper_id": paper_id,
                "version_id": version_id,
                "section_key": key,
                "author_id": rng.choice(authors),
                "kind": AnnotationKind.COMMENT,
                "status": AnnotationStatus.PUBLISHED,
                "target": TargetType.SECTION,
                "body": body,
                "body_html": f"<p>{body}</p>",
                "depth": 0 if n == 0 else 1,
                "created_at": start + timedelta(seconds=n),
                "updated_at": start + timedelta(seconds=n),
            }
        )
    root_id = db.session.execute(
        insert(Annotation).values(**rows[0]).returning(Annotation.id)
    ).scalar_one()
    for row in rows[1:]:
        row.update(parent_id=root_id, root_id=root_id)
    if rows[1:]:
        db.session.execute(insert(Annotation), rows[1:])
    return root_id
