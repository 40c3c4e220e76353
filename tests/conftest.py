"""Shared fixtures for the core tests: a store in tmp_path, a fixed clock, an example agreement, volumes."""

from __future__ import annotations

import os

import pytest

# The operator's allow-list for private webhook receivers (egress.py): the tests' hook servers listen on
# loopback. Inherited by the servers the tests start; tests of the refusals give their own policy.
os.environ.setdefault("DECONFLICTION_WEBHOOK_ALLOW", "127.0.0.0/8")

from deconfliction import Agreement, Deconfliction
from deconfliction.store import SQLiteStore

from factories import FixedClock, circle_volume, example_agreement


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "core.db"


@pytest.fixture
def store(db_path):
    store = SQLiteStore(db_path)
    yield store
    store.close()


@pytest.fixture
def agreement() -> Agreement:
    return example_agreement()


@pytest.fixture
def system(store, clock, agreement) -> Deconfliction:
    """The example agreement (blue, red, green) and a second one (blue, yellow) that red and green are not in."""
    system = Deconfliction(store, clock=clock)
    system.add_agreement(agreement)
    system.add_agreement(example_agreement(id="other", name="Other pact", parties=["blue", "yellow"]))
    return system


@pytest.fixture
def vol(clock):
    """Build a circle volume relative to the fixed clock: vol(lon=..., lat=..., radius_m=..., start_h=..., ...)."""

    def build(**kwargs):
        return circle_volume(clock.now, **kwargs)

    return build
