"""Fixtures for the store contract: `any_store` runs a test on every backend (SQLite, PostgreSQL + PostGIS)."""

from __future__ import annotations

import pytest

from store.backends import BACKENDS, backend_store, stop_postgres_server


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres_at_end():
    yield
    stop_postgres_server()


@pytest.fixture(params=BACKENDS)
def any_store(request, tmp_path):
    """A fresh, empty store of each kind in turn."""
    with backend_store(request.param, tmp_path) as store:
        yield store


@pytest.fixture
def pg_store(tmp_path):
    """A fresh PostgreSQL store, for tests of what only PostgreSQL does (NOTIFY, retries)."""
    with backend_store("postgres", tmp_path) as store:
        yield store
