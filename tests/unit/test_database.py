"""The database under concurrent writers: transactions that read, then write, all succeed."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from app.accounts.services import create_user
from app.models import User


def test_concurrent_read_then_write_transactions_do_not_fail(app, db):
    def register(n: int) -> None:
        with app.app_context():
            for i in range(10):
                # read first, then write: the pattern that fails under deferred transactions
                db.session.scalar(select(func.count(User.id)))
                create_user(f"writer{n}-{i}@example.org", f"Writer {n}.{i}")
                db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(register, range(6)))
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 60


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; this run is on PostgreSQL")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
