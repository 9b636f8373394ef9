"""The PostgreSQL test database of `make test`: create it before the leg, drop it after.

    prepare-test-db.py URL                 create the database when it is missing
    prepare-test-db.py --drop URL [NAME…]  drop NAME… (default: URL's database), when present

URL is an SQLAlchemy URL (postgresql+psycopg://user@host:port/name); its role must be
allowed to create databases. Creating prints `created database NAME` when it made one, so
that the caller knows to drop it afterwards. Exit codes: 0 done; 3 server unreachable;
4 the server refused the log-in (wrong role or password, no pg_hba.conf entry); 1 anything
else. The reason is printed. The test suite itself drops and recreates the public schema.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

UNREACHABLE = 3
LOGIN_REFUSED = 4
USAGE = (
    "usage: prepare-test-db.py postgresql+psycopg://user@host:port/name\n"
    "       prepare-test-db.py --drop postgresql+psycopg://user@host:port/name [NAME...]"
)


class Refused(Exception):
    """The server answered and refused the log-in."""


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _refusal(error: psycopg.OperationalError) -> str | None:
    """Why the server refused the log-in, or None when it was not reached at all.

    libpq reports what the server said after `FATAL:`; a password the server asked for
    and was not given is reported by libpq itself ("no password supplied")."""
    message = _one_line(error)
    if "FATAL:" in message:
        return message.split("FATAL:", 1)[1].strip()
    if "no password supplied" in message or "password authentication failed" in message:
        return message.rsplit(":", 1)[-1].strip() or message
    return None


def _with_server(url: URL, work: Callable[[psycopg.Connection], int]) -> int:
    """Run `work` on a connection to a maintenance database of the server at `url`."""
    server = dict(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        connect_timeout=5,
        autocommit=True,
    )
    where = f"{server['host']}:{server['port']}"
    refused: str | None = None
    last_error: Exception | None = None
    for maintenance_db in ("postgres", "template1"):
        try:
            with psycopg.connect(dbname=maintenance_db, **server) as conn:
                return work(conn)
        except psycopg.OperationalError as error:
            reason = _refusal(error)
            if reason is not None and f'database "{maintenance_db}" does not exist' in reason:
                continue  # the server is there; try the other maintenance database
            if reason is not None:
                refused = reason
                break
            last_error = error
        except psycopg.Error as error:
            print(f"PostgreSQL at {where}: {type(error).__name__}: {_one_line(error)}")
            return 1
    if refused is not None:
        print(f"PostgreSQL at {where} refused the log-in for role {server['user']}: {refused}")
        return LOGIN_REFUSED
    message = _one_line(last_error) if last_error else "no maintenance database"
    print(f"PostgreSQL at {where} is unreachable ({message})")
    return UNREACHABLE


def create(url: URL) -> int:
    def work(conn: psycopg.Connection) -> int:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
            print(f"created database {url.database}")
        return 0

    return _with_server(url, work)


def drop(url: URL, names: list[str]) -> int:
    def work(conn: psycopg.Connection) -> int:
        # FORCE (PostgreSQL 13+) ends connections a killed test process may have left.
        force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
        for name in names:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone():
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)) + force)
                print(f"dropped database {name}")
        return 0

    return _with_server(url, work)


def main(argv: list[str]) -> int:
    args = argv[1:]
    dropping = bool(args) and args[0] == "--drop"
    if dropping:
        args = args[1:]
    if not args or (not dropping and len(args) != 1):
        print(USAGE)
        return 1
    url = make_url(args[0])
    if url.get_backend_name() != "postgresql" or not url.database:
        print(f"not a PostgreSQL URL with a database name: {url!r}")
        return 1
    if dropping:
        return drop(url, args[1:] or [url.database])
    return create(url)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
