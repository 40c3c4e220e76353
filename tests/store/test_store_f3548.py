"""The store contract for the F3548 interface's tables (store/f3548.py), on every backend (`any_store`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from deconfliction.f3548.records import ConstraintRecord, DssReport, IntentRecord, SubscriptionRecord, UssAvailability
from deconfliction.geometry import AltitudeBand, Circle, TimeWindow, Volume4D

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def volume(start_h: float, hours: float = 1.0) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=7.0, lat=46.0, radius_m=500.0),
        altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"),
        time=TimeWindow(start=T0 + timedelta(hours=start_h), end=T0 + timedelta(hours=start_h + hours)),
    )


def test_intent_records_round_trip_and_are_found_by_subscription(any_store):
    a = IntentRecord(notice_id="n1", agreement_id="utm", manager="uss1", state="Contingent", version=3, ovn="o" * 16,
                     uss_base_url="https://u", subscription_id="s1")
    b = a.model_copy(update={"notice_id": "n2", "state": "Accepted", "subscription_id": None})
    with any_store.transaction() as tx:
        tx.put_f3548_intent(a)
        tx.put_f3548_intent(b)
        tx.put_f3548_intent(a.model_copy(update={"version": 4}))  # an upsert, not a second row
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_intent("n1") == a.model_copy(update={"version": 4})
        assert [r.notice_id for r in tx.f3548_intents_using("s1")] == ["n1"]
        assert tx.get_f3548_intent("nope") is None
    with any_store.transaction() as tx:
        tx.delete_f3548_intent("n1")
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_intent("n1") is None and tx.f3548_intents_using("s1") == []


def test_subscriptions_are_found_by_overlapping_time_and_manager(any_store):
    early = SubscriptionRecord(id="s1", agreement_id="utm", manager="uss1", version="v1", uss_base_url="https://u",
                               notify_for_operational_intents=True, volumes=[volume(0)])
    late = early.model_copy(update={"id": "s2", "manager": "uss2", "volumes": [volume(5)]})
    elsewhere = early.model_copy(update={"id": "s3", "agreement_id": "other"})
    with any_store.transaction() as tx:
        for s in (early, late, elsewhere):
            tx.put_f3548_subscription(s)
        tx.put_f3548_subscription(early.model_copy(update={"notification_index": 7}))
    with any_store.transaction(write=False) as tx:
        assert [s.id for s in tx.f3548_subscriptions("utm", T0, T0 + timedelta(hours=10))] == ["s1", "s2"]
        assert [s.id for s in tx.f3548_subscriptions("utm", T0 + timedelta(minutes=30), T0 + timedelta(hours=2))] == ["s1"]
        # [start, end) windows: one that ends as another starts does not overlap it
        assert tx.f3548_subscriptions("utm", T0 + timedelta(hours=1), T0 + timedelta(hours=5)) == []
        assert [s.id for s in tx.f3548_subscriptions("utm", T0, T0 + timedelta(hours=10), manager="uss2")] == ["s2"]
        assert tx.get_f3548_subscription("s1").notification_index == 7
        assert tx.get_f3548_subscription("s1").volumes == early.volumes
    with any_store.transaction() as tx:
        tx.delete_f3548_subscription("s1")
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_subscription("s1") is None


def test_constraints_are_found_by_overlapping_time(any_store):
    c = ConstraintRecord(id="c1", agreement_id="utm", manager="authority", version=2, ovn="c" * 16, uss_base_url="https://a",
                         volumes=[volume(1), volume(3)])
    with any_store.transaction() as tx:
        tx.put_f3548_constraint(c)
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_constraint("c1") == c
        assert [x.id for x in tx.f3548_constraints("utm", T0 + timedelta(hours=3.5), T0 + timedelta(hours=6))] == ["c1"]
        assert tx.f3548_constraints("utm", T0 + timedelta(hours=4), T0 + timedelta(hours=6)) == []
        assert tx.f3548_constraints("other", T0, T0 + timedelta(hours=6)) == []
    with any_store.transaction() as tx:
        tx.delete_f3548_constraint("c1")
    with any_store.transaction(write=False) as tx:
        assert tx.get_f3548_constraint("c1") is None


def test_availability_and_reports(any_store):
    with any_store.transaction() as tx:
        assert tx.get_uss_availability("uss1") is None
        tx.put_uss_availability(UssAvailability(uss_id="uss1", availability="Down", version="v1", updated_at=T0))
        tx.put_uss_availability(UssAvailability(uss_id="uss1", availability="Normal", version="v2", updated_at=T0))
        tx.put_dss_report(DssReport(id="r2", reporter="uss1", report={"exchange": {"url": "b"}}, created_at=T0 + timedelta(seconds=1)))
        tx.put_dss_report(DssReport(id="r1", reporter="uss2", report={"exchange": {"url": "a"}}, created_at=T0))
    with any_store.transaction(write=False) as tx:
        assert tx.get_uss_availability("uss1").availability == "Normal"
        assert [(r.id, r.report["exchange"]["url"]) for r in tx.dss_reports()] == [("r1", "a"), ("r2", "b")]
