"""Migrations: upgrade from empty, downgrade to base, and no drift from the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.extensions import db
from app.search.index import include_name
from config import TestingConfig


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind as the one the tests run on."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def scratch_app(scratch_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = scratch_url

    app = create_app(Config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(scratch_app):
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "api_tokens", "papers", "paper_versions", "sections"} <= tables
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()  # and up again, as a deployment rolling forward after a rollback would
    assert "sections" in inspect(db.engine).get_table_names()


def test_models_and_migrations_do_not_drift(scratch_app):
    upgrade()
    with db.engine.connect() as connection:
        # The search index is made by hand (app.search.index), not declared by the models.
        opts = {"compare_type": True, "include_name": include_name}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_keep_published_rows_go_back_to_approve_on_downgrade(scratch_app):
    """0008 names "keep published" in the log; going back to 0007 renames its rows to the
    "approve" they were before, and the log stays append-only both ways."""
    upgrade(revision="0008")
    row = (
        "INSERT INTO moderation_log (target_kind, target_id, action, old_state, new_state,"
        " reason, created_at) VALUES ('annotation', 1, :action, 'published', 'published',"
        " 'Fine.', CURRENT_TIMESTAMP)"
    )
    with db.engine.begin() as connection:
        connection.execute(text(row), {"action": "keep_published"})
    downgrade(revision="0007")
    with db.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM moderation_log")).scalars().all()
    assert actions == ["approve"]
    with pytest.raises(DBAPIError, match=r"(?i)check"), db.engine.begin() as connection:
        connection.execute(text(row), {"action": "keep_published"})
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("UPDATE moderation_log SET reason = 'Changed.'"))
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(text(row), {"action": "keep_published"})
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("UPDATE moderation_log SET reason = 'Changed.'"))


def _status_check(table: str = "anchors") -> str:
    [check] = [
        c for c in inspect(db.engine).get_check_constraints(table) if "status" in c["sqltext"]
    ]
    return check["sqltext"]


def test_the_anchor_status_check_admits_applied_and_a_downgrade_takes_it_back(scratch_app):
    """The status is a VARCHAR with a CHECK constraint: 0009 widens it for `applied`."""
    from app.models.annotation import AnchorStatus

    upgrade()
    assert all(f"'{status.value}'" in _status_check() for status in AnchorStatus)
    downgrade(revision="0008")
    db.engine.dispose()
    assert "'applied'" not in _status_check() and "'orphaned'" in _status_check()
    upgrade()
    db.engine.dispose()
    assert "'applied'" in _status_check()


def test_0011_adds_the_notification_tables_and_a_downgrade_removes_them(scratch_app):
    notification_tables = {"notifications", "notification_settings", "follows"}
    upgrade()
    assert notification_tables <= set(inspect(db.engine).get_table_names())
    downgrade(revision="0010")
    db.engine.dispose()
    assert not notification_tables & set(inspect(db.engine).get_table_names())
    upgrade()
    db.engine.dispose()
    assert notification_tables <= set(inspect(db.engine).get_table_names())


def test_0014_starts_a_counter_for_the_site_and_each_paper_and_a_downgrade_drops_them(
    scratch_app,
):
    upgrade(revision="0013")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO papers (id, slug, series, title, created_at)"
                " VALUES (7, 'tp-7', '', 'Seven', CURRENT_TIMESTAMP)"
            )
        )
    upgrade(revision="0014")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT scope, revision FROM page_revisions")).all()
    assert sorted(rows) == [(0, 1), (7, 1)]
    downgrade(revision="0013")
    db.engine.dispose()
    assert "page_revisions" not in inspect(db.engine).get_table_names()


def test_0013_logs_role_changes_and_a_downgrade_removes_their_rows(scratch_app):
    """0013 lets the log name "change_role"; going back to 0012 removes those rows (no
    older action names them), keeps the others, and the log stays append-only."""
    upgrade(revision="0013")
    row = (
        "INSERT INTO moderation_log (target_kind, target_id, action, old_state, new_state,"
        " reason, created_at) VALUES ('user', 1, :action, :old, :new, 'Why.',"
        " CURRENT_TIMESTAMP)"
    )
    with db.engine.begin() as connection:
        connection.execute(text(row), {"action": "change_role", "old": "participant",
                                       "new": "editor"})  # fmt: skip
        connection.execute(text(row), {"action": "suspend", "old": "active",
                                       "new": "suspended"})  # fmt: skip
    downgrade(revision="0012")
    db.engine.dispose()
    with db.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM moderation_log")).scalars().all()
    assert actions == ["suspend"]
    with pytest.raises(DBAPIError), db.engine.begin() as connection:
        connection.execute(text(row), {"action": "change_role", "old": "a", "new": "b"})
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("UPDATE moderation_log SET reason = 'Changed.'"))
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(text(row), {"action": "change_role", "old": "editor",
                                       "new": "admin"})  # fmt: skip
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text("UPDATE moderation_log SET reason = 'Changed.'"))


def test_0015_adds_the_discussion_list_indexes_and_a_downgrade_removes_them(scratch_app):
    added = {"ix_annotations_placed", "ix_annotations_root_id_status_author_id"}

    def indexes():
        return {index["name"] for index in inspect(db.engine).get_indexes("annotations")}

    upgrade(revision="0015")
    assert added <= indexes()
    downgrade(revision="0014")
    db.engine.dispose()
    assert not added & indexes()
    upgrade()
    db.engine.dispose()
    assert added <= indexes()


def test_0016_adds_the_account_language_and_a_downgrade_removes_it(scratch_app):
    def columns():
        return {column["name"] for column in inspect(db.engine).get_columns("users")}

    upgrade(revision="0016")
    assert "locale" in columns()
    downgrade(revision="0015")
    db.engine.dispose()
    assert "locale" not in columns()
    upgrade()
    db.engine.dispose()
    assert "locale" in columns()
