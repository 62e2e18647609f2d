"""Project-wide pytest hooks (fixtures and personas live in tests/conftest.py).

Tests marked `postgres` prove things only PostgreSQL can show (row locks
under real concurrency). Without a PostgreSQL DATABASE_URL they are skipped
on a developer's machine, with the reason, and fail in CI (CI=true), where a
missing database must never pass for a green run. `make test` starts a
throwaway cluster with scripts/pgtest and sets DATABASE_URL for them.

Tests marked `redis` (scale-out across processes) follow the same rule: they
need REDIS_URL (`make test` starts scripts/redistest and sets it), or a
redis-server on PATH for the test to start one of its own.

Tests marked `browser` drive Debian's Chromium with Playwright (which never
downloads a browser here): skipped with the reason where /usr/bin/chromium is
missing, a failure in CI, where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest

NO_POSTGRES = (
    "needs PostgreSQL, and DATABASE_URL is not a PostgreSQL URL: `scripts/pgtest start` prints one "
    "(make test does this, and says above why it could not)"
)
NO_REDIS = (
    "needs Redis: REDIS_URL is not set and there is no redis-server to start; `scripts/redistest start` "
    "prints a REDIS_URL (make test does this, and says above why it could not)"
)

CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = f"needs Debian's Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does this)"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def redis_available() -> bool:
    return bool(os.environ.get("REDIS_URL")) or shutil.which("redis-server") is not None


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is not None and not chromium_available():
        if running_in_ci():
            pytest.fail(f"{NO_CHROMIUM} (CI=true: a missing Chromium is a failure, not a skip)", pytrace=False)
        pytest.skip(NO_CHROMIUM)
    if item.get_closest_marker("redis") is not None and not redis_available():
        if running_in_ci():
            pytest.fail(f"{NO_REDIS} (CI=true: a missing Redis is a failure, not a skip)", pytrace=False)
        pytest.skip(NO_REDIS)
    if item.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if running_in_ci():
        pytest.fail(f"{NO_POSTGRES} (CI=true: a missing PostgreSQL is a failure, not a skip)", pytrace=False)
    pytest.skip(NO_POSTGRES)
