"""scripts/prepare-test-db.py: a refused log-in is told apart from an unreachable server,
and the databases a run creates can be dropped again."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

SCRIPT = Path(__file__).resolve().parent.parent.parent / "scripts" / "prepare-test-db.py"
LOCAL_SERVER = ("127.0.0.1", 5432)


def _script():
    spec = importlib.util.spec_from_file_location("prepare_test_db", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'connection failed: connection to server at "db", port 5432 failed: '
            'FATAL:  password authentication failed for user "tpc"',
            'password authentication failed for user "tpc"',
        ),
        (
            'connection to server at "db", port 5432 failed: FATAL:  role "x" does not exist',
            'role "x" does not exist',
        ),
        (
            'connection to server at "db", port 5432 failed: fe_sendauth: no password supplied',
            "no password supplied",
        ),
        (
            'connection to server at "db", port 5432 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?",
            None,
        ),
        ('could not translate host name "nowhere" to address', None),
    ],
)
def test_a_refused_log_in_is_told_apart_from_an_unreachable_server(message, reason):
    assert _script()._refusal(psycopg.OperationalError(message)) == reason


def _local_server_answers() -> bool:
    try:
        psycopg.connect(
            host=LOCAL_SERVER[0], port=LOCAL_SERVER[1], user="postgres", connect_timeout=3
        ).close()
    except psycopg.OperationalError as error:
        return _script()._refusal(error) is not None
    return True


def test_the_local_server_refusing_an_unknown_role_says_so():
    if not _local_server_answers():
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    done = _run("postgresql+psycopg://tpc_no_such_role@127.0.0.1:5432/tpc_never_made")
    assert done.returncode == 4, done.stdout
    assert done.stdout.startswith(
        "PostgreSQL at 127.0.0.1:5432 refused the log-in for role tpc_no_such_role: "
    ), done.stdout
    assert "unreachable" not in done.stdout


def test_an_unreachable_server_is_called_so():
    done = _run("postgresql+psycopg://postgres@127.0.0.1:1/tpc_never_made")
    assert done.returncode == 3, done.stdout
    assert "PostgreSQL at 127.0.0.1:1 is unreachable" in done.stdout


@pytest.mark.postgres
def test_a_database_it_creates_can_be_dropped_again():
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        pytest.skip("TEST_DATABASE_URL is not a PostgreSQL database")
    name = f"tpc_prepare_check_{os.getpid()}"
    own = make_url(url).set(drivername="postgresql+psycopg", database=name)
    own = own.render_as_string(hide_password=False)
    try:
        assert _run(own).stdout.strip() == f"created database {name}"
        assert _run(own).stdout.strip() == ""  # already there: nothing to say
    finally:
        dropped = _run("--drop", own)
    assert dropped.returncode == 0, dropped.stdout
    assert dropped.stdout.strip() == f"dropped database {name}"
    assert _run("--drop", own).stdout.strip() == ""  # gone: nothing to drop
