"""A store written by the first release (schema 1) opens under this program: it is brought up to date
in place, keeps what it held, and the hotline (schema 2) works on it. Both backends."""

from __future__ import annotations

from deconfliction import Deconfliction
from deconfliction.store import SQLiteStore

from factories import FixedClock, circle_volume, example_agreement

from .backends import postgres_database_at_schema, sqlite_file_at_schema


def use_first_release(system: Deconfliction, clock: FixedClock):
    system.add_agreement(example_agreement(alert_ack_deadline_s=60.0))
    return system.file_notice("red", "pact", [circle_volume(clock.now)]).notice


def exercise_the_upgraded_store(system: Deconfliction, clock: FixedClock, notice) -> None:
    assert system.notice("blue", notice.id).version == notice.version
    (owed,) = system.deadlines("blue", subject_id=notice.id)  # a deadline row from schema 1
    assert owed.state == "pending" and owed.next_escalation_at is None
    message = system.send_message("red", "pact", kind="alert", text="After the upgrade", to=["blue"])
    clock.advance(seconds=61)
    overdue = {d.subject_id: d for d in system.tick().overdue}
    assert overdue[message.id].escalations == 1 and overdue[message.id].next_escalation_at is not None
    clock.advance(hours=1)
    assert {d.subject_id for d in system.tick().overdue} == {notice.id, message.id}  # the notice's first, the message's again
    clock.advance(hours=1)
    assert {d.subject_id for d in system.tick().overdue} == {message.id}  # a notice's deadline escalates once
    assert system.verify_audit().ok


def test_a_first_release_sqlite_file_is_upgraded_in_place(tmp_path):
    clock = FixedClock()
    system = Deconfliction(SQLiteStore(sqlite_file_at_schema(tmp_path / "old.db", 1)), clock=clock)
    notice = use_first_release(system, clock)
    exercise_the_upgraded_store(system, clock, notice)
    system.close()


def test_a_first_release_postgres_database_is_upgraded_in_place(tmp_path):
    import psycopg

    from deconfliction.store.postgres import MIGRATIONS, PostgresStore

    with postgres_database_at_schema(1) as url:
        clock = FixedClock()
        system = Deconfliction(PostgresStore(url, max_size=4), clock=clock)
        try:
            with psycopg.connect(url) as connection:
                assert connection.execute("SELECT max(version) FROM deconfliction_schema").fetchone()[0] == max(MIGRATIONS)
            notice = use_first_release(system, clock)
            exercise_the_upgraded_store(system, clock, notice)
        finally:
            system.close()
