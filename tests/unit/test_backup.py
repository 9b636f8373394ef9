"""`flask backup PATH`: a consistent copy of the SQLite database while it is being written,
which the site can run on; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import create_app
from app.core.backup import BackupError, sqlite_path
from config import TestingConfig

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@pytest.fixture
def sqlite_file(db):
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("flask backup copies SQLite databases; PostgreSQL has pg_dump")
    return Path(db.engine.url.database)


def rows(connection: sqlite3.Connection, table: str) -> list[tuple]:
    """Every row, by id; in a stable order where there is no `id` (the search index's FTS5
    tables)."""
    columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    if "id" in columns:
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    return sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def tables(connection: sqlite3.Connection) -> list[str]:
    found = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name"
    )
    return [name for (name,) in found]


class Writer(threading.Thread):
    """Another process's worth of writes: new accounts, one transaction each, until told
    to stop, through a connection of its own."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.written = 0
        self.started_writing = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                n = self.written + 1
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(
                    "INSERT INTO users (email, display_name, role, affiliation, stakeholder_type,"
                    " trusted, session_version, created_at) VALUES (?, ?, 'participant', '',"
                    " 'other', 0, 1, '2026-01-01 00:00:00')",
                    (f"writer{n}@example.org", f"Writer {n}"),
                )
                connection.execute("COMMIT")
                self.written = n
                if n >= 20:
                    self.started_writing.set()
        except Exception as error:  # reported by the test
            self.error = error
            self.started_writing.set()
        finally:
            connection.close()


def test_a_backup_taken_during_writes_is_whole_and_the_site_runs_on_it(
    sqlite_file, paper, runner, tmp_path
):
    writer = Writer(sqlite_file)
    writer.start()
    assert writer.started_writing.wait(30)
    before = writer.written

    result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])

    writer.stop.set()
    writer.join(30)
    assert writer.error is None
    assert result.exit_code == 0, result.output
    assert "copied to" in result.output
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    live = sqlite3.connect(sqlite_file)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # stands alone
        assert tables(copy) == tables(live)
        for table in tables(live):
            if table != "users":
                assert rows(copy, table) == rows(live, table), table
        # Accounts were being written: the copy holds those of one moment, whole.
        copied, current = rows(copy, "users"), rows(live, "users")
        assert before <= len(copied) <= len(current)
        assert copied == current[: len(copied)]
    finally:
        copy.close()
        live.close()

    restored = site_on(tmp_path / "copy.sqlite3")
    with restored.app_context():
        from app.extensions import db

        with db.engine.connect() as connection:
            current_revision = MigrationContext.configure(connection).get_current_revision()
        db.engine.dispose()
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert current_revision == head
    page = restored.test_client().get("/papers/think-paper-1/")
    assert page.status_code == 200
    assert "Think Paper 1" in page.get_data(as_text=True)


def site_on(path: Path):
    class Restored(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    return create_app(Restored)


def test_an_existing_file_is_replaced_only_when_asked(sqlite_file, runner, tmp_path):
    target = tmp_path / "backup.sqlite3"
    target.write_text("an older backup")

    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code == 1
    assert "exists; use --force" in refused.output
    assert target.read_text() == "an older backup"

    replaced = runner.invoke(args=["backup", "--force", str(target)])
    assert replaced.exit_code == 0, replaced.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_the_database_itself_is_never_the_target(sqlite_file, runner, suffix):
    before = sqlite_file.stat().st_size

    result = runner.invoke(args=["backup", "--force", f"{sqlite_file}{suffix}"])

    assert result.exit_code == 1
    assert "is the database itself" in result.output
    assert sqlite_file.stat().st_size == before
    with sqlite3.connect(sqlite_file) as live:
        assert live.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_missing_folder_is_refused(sqlite_file, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "copy.sqlite3")])

    assert result.exit_code == 1
    assert "no such folder" in result.output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://commons:secret@db.example.org/commons", "pg_dump"),
        ("sqlite://", "kept in memory"),
        ("sqlite:///:memory:", "kept in memory"),
    ],
)
def test_databases_without_a_file_to_copy_are_explained(url, says):
    with pytest.raises(BackupError) as refused:
        sqlite_path(url)
    assert says in str(refused.value)
    assert "secret" not in str(refused.value) and "+psycopg" not in str(refused.value)


def test_on_postgresql_the_command_points_to_pg_dump(app, runner, tmp_path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://commons@db.example.org/commons"

    result = runner.invoke(args=["backup", str(tmp_path / "copy")])

    assert result.exit_code == 1
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert '"postgresql://commons@db.example.org/commons"' in result.output
    assert not (tmp_path / "copy").exists()
