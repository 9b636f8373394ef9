"""Shared fixtures: an app on a real database, a client, and factories in pairs.

The database is SQLite (a file, so that a live server in another thread sees it) or,
when TEST_DATABASE_URL is set, PostgreSQL. The schema is built once per run by the
migrations; every test starts from empty tables.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import jinja2
import pytest
from flask import g
from sqlalchemy import text

from app import create_app
from app.core.database import reads_only
from app.extensions import db as _db
from app.models import Role
from config import TestingConfig
from config import database_url as normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PAPER_DIR = ROOT / "papers" / "think-paper-1"
DEFAULT_PASSWORD = "a long test passphrase 42"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Tests marked `presentation` check what pages show and say — colour schemes, axe,
    the catalogues, the languages of the words — which no database changes: they run in
    the SQLite leg, and the PostgreSQL leg (TEST_DATABASE_URL set) leaves them out."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("presentation") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite: a fresh file per run (and per xdist worker). PostgreSQL: TEST_DATABASE_URL,
    or under xdist one database per worker beside it (`tpc_test_gw0`, …), made if missing
    and dropped when the worker's session ends."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    url = normalise_database_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not (worker and url.startswith("postgresql")):
        yield url
        return
    worker_url = _worker_database(url, worker)
    yield worker_url
    _drop_worker_database(worker_url)


def _maintenance_engine(url: str):
    """An engine on the server's `postgres` database, for CREATE and DROP DATABASE."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = _maintenance_engine(url)
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_worker_database(url: str) -> None:
    """Drop a worker's database at the end of its session. FORCE (PostgreSQL 13+) ends the
    connections a live server thread may still hold."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = _maintenance_engine(url)
    with admin.connect() as conn:
        force = " WITH (FORCE)" if conn.dialect.server_version_info >= (13,) else ""
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _shared_url_builders():
    """Each test makes a new app, and Werkzeug writes and compiles Python code for two URL
    builders of every rule of its URL map: most of the cost of `create_app`. A builder is a
    function of the rule's pattern, its defaults and whether it appends unknown arguments
    (it reaches its rule only through the `self` it is bound to), so the apps of a test
    process share them."""
    from werkzeug.routing import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    @functools.wraps(compile_builder)
    def shared(self, append_unknown=True):
        defaults = self.defaults or {}
        resolved = tuple(
            self._converters[name].to_url(defaults[name])
            for dynamic, name in self._trace
            if dynamic and name in defaults
        )
        key = (self.rule, tuple(self._trace), tuple(defaults), resolved, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", shared)
        yield


@pytest.fixture(scope="session")
def _schema(database_url):
    """Build the schema once through the migrations, as production does."""
    from flask_migrate import downgrade, upgrade

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    with app.app_context():
        if database_url.startswith("postgresql"):
            _db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            _db.session.commit()
        downgrade(revision="base") if _has_alembic_table() else None
        upgrade()
        _db.session.remove()
        _db.engine.dispose()
    return database_url


def _has_alembic_table() -> bool:
    from sqlalchemy import inspect

    return inspect(_db.engine).has_table("alembic_version")


def _empty_tables(app) -> None:
    """Empty every table, and on PostgreSQL put every sequence used back at its start, as
    `TRUNCATE … RESTART IDENTITY` would. DELETE rather than TRUNCATE: a test leaves a few
    rows in a few tables, and TRUNCATE gives each table it names new files and takes an
    exclusive lock on it, which cost PostgreSQL far more per test than deleting those rows."""
    from app.search.index import TABLE as SEARCH_INDEX

    # Children before parents, so that no foreign key is left dangling at any statement.
    # The search index is no model's table (migration 0012 makes it), and is emptied too.
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)] + [SEARCH_INDEX]
    with app.app_context():
        for table in tables:
            _db.session.execute(text(f"DELETE FROM {table}"))
        if _db.engine.dialect.name == "postgresql":
            _db.session.execute(text(RESTART_SEQUENCES))
        _db.session.commit()
        _db.session.remove()


# The sequences a test drew from (a fresh one has no last value), back at their start.
RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


@pytest.fixture
def app_config(_schema):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _schema
        SQLALCHEMY_ENGINE_OPTIONS = _engine_options(_schema)

    return Config


def _engine_options(url: str) -> dict:
    """On PostgreSQL, commits that do not wait for their WAL to reach the disk: a test
    commits many times, and a crash of the server loses nothing a test needs. What other
    connections see, and when, is the same."""
    options = dict(TestingConfig.SQLALCHEMY_ENGINE_OPTIONS)
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return options


class SharedTemplates(jinja2.BytecodeCache):
    """Compiled templates kept across the apps of a test process: each test makes a new
    app, and compiling the templates of every page it renders again would cost more than
    most tests themselves. Jinja checks each template's source against what was compiled."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = SharedTemplates()


@pytest.fixture
def app(app_config, tmp_path):
    app_config.MAIL_OUTBOX_DIR = str(tmp_path / "outbox")
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATES

    def _fresh_globals():
        """The test keeps one app context open; give each request an empty `g`, as in a server."""
        for name in list(g):
            g.pop(name)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_globals)

    ctx = app.app_context()
    ctx.push()
    # The test body only sets up and checks; it must not hold SQLite's write lock
    # while a live server or a second app writes.
    with reads_only():
        yield app
    _db.session.rollback()
    _db.session.remove()
    ctx.pop()
    _empty_tables(app)
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app):
    """A client of the app with CSRF protection on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on 127.0.0.1 (tests/smtp.py), and the app sending to it in
    plain SMTP; `smtp_server.messages` holds what it received."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False
    )
    yield server
    server.stop()


# --- factories, each with a default ---------------------------------------------------


@pytest.fixture
def create_user(db):
    """Accounts for tests. They are trusted, as `flask users create` makes them, so that
    what they post is published at once; pass `trusted=False` for a pre-moderated one."""
    from app.accounts.services import create_user as _create

    counter = {"n": 0}

    def factory(role: Role | str = Role.PARTICIPANT, *, email=None, name=None,
                password=DEFAULT_PASSWORD, confirmed=True, trusted=True, **profile):  # fmt: skip
        counter["n"] += 1
        n = counter["n"]
        user = _create(
            email or f"user{n}@example.org",
            name or f"User {n}",
            role=Role(role),
            password=None if password == DEFAULT_PASSWORD else password,
            confirmed=confirmed,
            trusted=trusted,
            **profile,
        )
        if password == DEFAULT_PASSWORD:
            user.password_hash = _default_password_hash()  # scrypt is slow on purpose
        db.session.commit()
        return user

    return factory


@functools.cache
def _default_password_hash() -> str:
    from app.accounts.services import hash_password

    return hash_password(DEFAULT_PASSWORD)


@pytest.fixture(scope="session", autouse=True)
def _remembered_password_checks():
    """A log-in checks the password against its scrypt hash, slow on purpose (a tenth of a
    second), and most tests log in with the default password against its one hash. The
    answer for a given hash and password never changes: a test process works it out once."""
    from app.accounts import services

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            services, "check_password_hash", functools.cache(services.check_password_hash)
        )
        yield


@pytest.fixture
def user(create_user):
    return create_user()


@functools.lru_cache(maxsize=16)
def _parsed(source: str, filename: str):
    """Parsing is pure; many tests import the same paper."""
    from app.papers.source import parse_source

    return parse_source(source, filename)


@pytest.fixture
def import_paper(db):
    """Import a paper source text as `papers/<slug>/<version>.md` would be."""
    from app.editor.publishing import import_version

    def factory(source: str | None = None, slug: str = "think-paper-1"):
        if source is None:
            source = (PAPER_DIR / "5.0.md").read_text(encoding="utf-8")
        parsed = _parsed(source, f"papers/{slug}/x.md")
        result = import_version(slug, parsed)
        db.session.commit()
        return result

    return factory


@pytest.fixture
def paper(import_paper, db):
    from sqlalchemy import select

    from app.models import Paper

    import_paper()
    return db.session.scalar(select(Paper).where(Paper.slug == "think-paper-1"))


def login(client, user, password: str = DEFAULT_PASSWORD):
    """Log `user` in through the log-in form; returns the response."""
    return client.post(
        "/login", data={"email": user.email, "password": password}, follow_redirects=False
    )


@pytest.fixture
def viewer_client(app):
    """A fresh client, logged in as `user` (or anonymous with None)."""

    def make(user=None):
        client = app.test_client()
        if user is not None:
            assert login(client, user).status_code in (302, 303)
        return client

    return make


@pytest.fixture
def logged_in(client):
    def do(user, password: str = DEFAULT_PASSWORD):
        response = login(client, user, password)
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return client

    return do


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture(scope="session")
def in_ci() -> bool:
    return _in_ci()


class QueryCounter:
    """Counts the SQL statements sent while it is active."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len([s for s in self.statements if not s.lstrip().upper().startswith("BEGIN")])


@pytest.fixture
def count_queries(db):
    return lambda: QueryCounter(db.engine)


@pytest.fixture
def create_annotation(db, paper, create_user):
    """Start a thread (or reply with `parent=`) on Think Paper 1 through the services."""
    from sqlalchemy import select

    from app.annotations import services
    from app.models import PaperVersion, Section

    version = db.session.scalar(select(PaperVersion).where(PaperVersion.paper_id == paper.id))

    def factory(body="A comment.", *, author=None, section="public-sector-idiosyncrasies",
                parent=None, quote=None, **options):  # fmt: skip
        author = author or create_user()
        if parent is not None:
            annotation = services.reply(author, parent, body)
        else:
            target = db.session.scalar(
                select(Section).where(Section.version_id == version.id, Section.key == section)
            )
            if isinstance(quote, str):
                quote = services.QuoteInput(quote)
            annotation = services.create_thread(
                author, paper, version, target, body, quote=quote, **options
            )
        db.session.commit()
        return annotation

    return factory


@pytest.fixture
def annotation(create_annotation):
    return create_annotation()
