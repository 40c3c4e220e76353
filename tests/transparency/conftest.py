"""Fixtures for the transparency log: a system on each store backend."""

from __future__ import annotations

import pytest

from deconfliction import Deconfliction
from factories import FixedClock, example_agreement
from store.backends import BACKENDS, backend_store, stop_postgres_server


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres_at_end():
    yield
    stop_postgres_server()


@pytest.fixture(params=BACKENDS)
def any_system(request, tmp_path):
    """The example agreement (blue, red, green) on a fresh store of each kind in turn."""
    with backend_store(request.param, tmp_path) as store:
        system = Deconfliction(store, clock=FixedClock())
        system.add_agreement(example_agreement())
        yield system
