"""Where the tests find PostgreSQL and Redis.

Under CI=true both must be there (tests fail rather than skip); elsewhere a test that
needs one skips, with a reason saying how to enable it, when it does not answer.
"""

import os
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI") == "true"
POSTGRES_URL = os.environ.get(
    "PARLEY_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    if not _answers(POSTGRES_URL, 5432):
        message = (
            f"PostgreSQL does not answer at {POSTGRES_URL}: start it or set "
            "PARLEY_TEST_POSTGRES_URL to a server where this user may CREATE DATABASE"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


def require_redis() -> str:
    if not _answers(REDIS_URL, 6379):
        message = f"Redis does not answer at {REDIS_URL}: start it or set PARLEY_TEST_REDIS_URL"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL
