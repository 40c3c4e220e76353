"""The SQLite file over time: opening it again keeps everything and re-runs no migration; a file from
a newer program is refused rather than misread."""

from __future__ import annotations

import sqlite3

import pytest

from deconfliction import Deconfliction
from deconfliction.errors import DeconflictionError
from deconfliction.store import SQLiteStore, open_store
from deconfliction.store.sqlite import SCHEMA_VERSION

from factories import FixedClock, circle_volume, example_agreement, snapshot


def user_version(path) -> int:
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()


def populate(path, clock):
    system = Deconfliction(SQLiteStore(path), clock=clock)
    system.add_agreement(example_agreement())
    red = system.file_notice("red", "pact", [circle_volume(clock.now)]).notice
    blue = system.file_notice("blue", "pact", [circle_volume(clock.now, lon=2.352)], key=[red.version])
    system.close()
    return red, blue


def test_a_new_file_is_brought_to_the_current_schema(tmp_path):
    SQLiteStore(tmp_path / "new.db").close()
    assert user_version(tmp_path / "new.db") == SCHEMA_VERSION >= 1


def test_opening_an_existing_store_again_keeps_its_data(tmp_path):
    path, clock = tmp_path / "kept.db", FixedClock()
    red, blue = populate(path, clock)
    before = snapshot(path)
    system = Deconfliction(open_store(str(path)), clock=clock)
    try:
        assert snapshot(path) == before  # opening wrote nothing
        assert system.notice("red", red.id).version == red.version
        assert [c.id for c in system.conflicts("red")] == [blue.conflicts[0].id]
        assert [e.kind for e in system.events("green")] == ["notice.filed", "notice.filed"]
        assert system.verify_audit().ok
        # The index came back too: a third party still has to present both versions.
        findings = system.check("green", "pact", [circle_volume(clock.now, lon=2.351)])
        assert {f.notice.id for f in findings} == {red.id, blue.notice.id}
    finally:
        system.close()
    assert user_version(path) == SCHEMA_VERSION


def test_a_store_with_a_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "future.db"
    populate(path, FixedClock())
    connection = sqlite3.connect(str(path))
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    before = snapshot(path)
    with pytest.raises(DeconflictionError) as caught:
        SQLiteStore(path)
    assert caught.value.code == "unavailable" and "newer" in caught.value.message
    assert user_version(path) == SCHEMA_VERSION + 1 and snapshot(path) == before


def test_sqlite_urls_name_the_same_file(tmp_path):
    path = tmp_path / "url.db"
    populate(path, FixedClock())
    store = open_store(f"sqlite:///{path}")
    try:
        with store.transaction(write=False) as tx:
            assert len(tx.find_notices(agreement_id="pact")) == 2
    finally:
        store.close()
