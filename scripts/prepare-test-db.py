"""Make sure the PostgreSQL test database exists: `prepare-test-db.py URL`.

URL is an SQLAlchemy URL (postgresql+psycopg://user@host:port/name). Exit codes:
0 ready (created if it was missing), 3 server unreachable (the reason is printed),
1 anything else. The test suite itself drops and recreates the public schema.
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

UNREACHABLE = 3


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: prepare-test-db.py postgresql+psycopg://user@host:port/name")
        return 1
    url = make_url(argv[1])
    if url.get_backend_name() != "postgresql" or not url.database:
        print(f"not a PostgreSQL URL with a database name: {url!r}")
        return 1
    server = dict(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        connect_timeout=5,
        autocommit=True,
    )
    last_error: Exception | None = None
    for maintenance_db in ("postgres", "template1"):
        try:
            with psycopg.connect(dbname=maintenance_db, **server) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
                    print(f"created database {url.database}")
                return 0
        except psycopg.OperationalError as error:
            last_error = error
        except psycopg.Error as error:
            print(f"{type(error).__name__}: {error}".strip())
            return 1
    where = f"{server['host']}:{server['port']}"
    message = " ".join(str(last_error).split()) or type(last_error).__name__
    print(f"PostgreSQL at {where} is unreachable ({message})")
    return UNREACHABLE


if __name__ == "__main__":
    sys.exit(main(sys.argv))
