"""What the property tests of edge values share: a bounded, repeatable Hypothesis budget
(`EDGE_EXAMPLES` examples per field, derandomized, no example database) and an app with
rate limits off, so that every generated value reaches the services and the database."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("EDGE_EXAMPLES", "10"))
EDGE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def app_config(app_config):
    """Many requests from one account: rate limits are switched off."""

    class Unlimited(app_config):
        RATELIMIT_ENABLED = False

    return Unlimited
