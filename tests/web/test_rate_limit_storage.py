"""Rate limits kept in Redis, as in production, where workers share the counts."""

import os
import socket
import uuid

import pytest

from app import create_app
from app.extensions import db
from tests.conftest import login

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_config(app_config, in_ci):
    if not redis_reachable():
        if in_ci:
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")

    class Config(app_config):
        RATELIMIT_STORAGE_URI = REDIS_URL
        RATELIMIT_KEY_PREFIX = f"tpc-test-{uuid.uuid4().hex}"

    return Config


def test_two_workers_share_the_failed_login_count_through_redis(redis_config, app, user):
    # Two app objects stand for two worker processes with the same settings.
    workers = [create_app(redis_config), create_app(redis_config)]
    first, second = (worker.test_client() for worker in workers)
    for _ in range(3):
        assert login(first, user, "wrong password here").status_code == 200
    for _ in range(2):
        assert login(second, user, "wrong password here").status_code == 200
    refused = login(first, user, "wrong password here")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()
