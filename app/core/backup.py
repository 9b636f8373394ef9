"""`flask backup PATH`: a consistent copy of the SQLite database, taken while the site runs.

SQLite's online backup API (`sqlite3.Connection.backup`) copies the database page by page
inside one read transaction, so the copy is the database as it was at one moment, with
every committed write before it and none after; in WAL mode writers go on meanwhile.
Copying the file with `cp` instead can catch it half-written, and misses what is still in
the `-wal` file. The copy is written beside the target under a temporary name, checked
(`PRAGMA integrity_check`) and only then moved into place, so that a failed backup never
leaves a truncated file where a good one was expected.

PostgreSQL has its own tools for this (`pg_dump`, `pg_restore`): the command says so
rather than doing half of their work.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup could not be made; the message says why, for the person running it."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    tables: int


def pg_dump_hint(url: str) -> str:
    """How to back up and restore the PostgreSQL database at `url` with its own tools."""
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return (
        "The database is PostgreSQL: back it up with its own tools, which are consistent "
        "while the site runs, for example\n"
        f'  pg_dump --format=custom --file=commons.dump "{plain}"\n'
        "and restore it (site stopped) with\n"
        f'  pg_restore --clean --if-exists --no-owner --dbname="{plain}" commons.dump\n'
        "(see the README's section on backups)."
    )


def sqlite_path(database_url: str) -> Path:
    """The file of the SQLite database `database_url` names; a `BackupError` for any other
    database, or for one kept in memory."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise BackupError(pg_dump_hint(shown))
    if backend != "sqlite":
        raise BackupError(f"flask backup copies SQLite databases; this one is {backend}.")
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("The database is kept in memory: there is no file to back up.")
    return Path(name).expanduser().resolve()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def backup_sqlite(source: Path, target: Path, *, force: bool = False) -> BackupResult:
    """Copy the SQLite database `source` to `target` through the online backup API.

    Refuses a target that is the database itself (or one of its `-wal`/`-shm` files), a
    folder, and an existing file unless `force` is given.
    """
    target = target.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    companions = {source, Path(f"{source}-wal"), Path(f"{source}-shm"), Path(f"{source}-journal")}
    if target in companions or _same_file(target, source):
        raise BackupError(f"{target} is the database itself; choose another path for the copy.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the path of the file to write.")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; use --force to replace it.")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")

    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        # Only read from: the backup holds a read transaction, never a write lock.
        live = sqlite3.connect(source, timeout=30)
        copy = sqlite3.connect(temporary)
        try:
            live.backup(copy)  # all pages in one step: one read transaction, one moment
            # A copy that stands alone: no write-ahead log to carry along with the file.
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = copy.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            copy.close()
            live.close()
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
        os.replace(temporary, target)
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, tables)
