"""A PostgreSQL database of its own for a benchmark run, beside the server's maintenance
database: made fresh before the run and dropped after it.

`config` is not imported here: it reads the environment once, when imported, and a
benchmark sets the site's environment (SECRET_KEY, DATABASE_URL) only once it knows
the database's URL.
"""

from __future__ import annotations


def _admin_url(url: str):
    """`url` as SQLAlchemy's URL, with psycopg 3 as the driver of a bare `postgresql://`."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def postgres_database(admin_url: str, name: str) -> tuple[str | None, str]:
    """A fresh database `name` beside `admin_url`: (its URL, "") or (None, why not)."""
    from sqlalchemy import create_engine, text

    try:
        url = _admin_url(admin_url)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:  # any reason PostgreSQL cannot be used is reported, not raised
        return None, f"PostgreSQL unavailable at {admin_url}: {str(error).splitlines()[0]}"
    return url.set(database=name).render_as_string(hide_password=False), ""


def drop_postgres(admin_url: str, name: str) -> None:
    """Drop the database `name` beside `admin_url`, ending its connections."""
    from sqlalchemy import create_engine, text

    admin = create_engine(_admin_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
