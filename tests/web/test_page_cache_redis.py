"""Kept pages in Redis, as configured in production with several workers: one worker's
rendering serves the others, and a change made through any of them shows at once."""

from __future__ import annotations

import uuid

import pytest
import redis

from app import create_app
from app.extensions import db
from tests.web.test_page_cache import PAPER
from tests.web.test_rate_limit_storage import REDIS_URL, redis_reachable

PREFIX = f"tpc-test-{uuid.uuid4().hex}:"


@pytest.fixture
def app_config(app_config, in_ci):
    if not redis_reachable():
        if in_ci:
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")

    class Config(app_config):
        CACHE_TYPE = "RedisCache"
        CACHE_REDIS_URL = REDIS_URL
        CACHE_KEY_PREFIX = PREFIX

    yield Config
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(f"{PREFIX}*"):
        store.delete(key)


def test_a_page_kept_by_one_worker_serves_another_until_the_discussion_changes(
    app, app_config, paper, create_annotation, count_queries
):
    other = create_app(app_config)  # a second worker process, with the same settings
    try:
        create_annotation("A first thread.")
        first = app.test_client().get(PAPER).get_data(as_text=True)
        assert "A first thread." in first
        assert list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{PREFIX}page:*"))

        with other.app_context(), count_queries() as kept:
            served = other.test_client().get(PAPER)
        assert served.status_code == 200 and served.get_data(as_text=True) == first
        assert kept.count == 1, kept.statements  # the counters: the page came from Redis

        create_annotation("A second thread.")
        with other.app_context():
            changed = other.test_client().get(PAPER).get_data(as_text=True)
        assert "A second thread." in changed
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
