"""Who hears what: subscriptions narrow notice events; conflicting parties always hear; webhooks queue in the same transaction."""

from __future__ import annotations

import pytest

from deconfliction.errors import DeconflictionError

from builders import circle, make_system


def test_without_subscriptions_every_member_hears_every_notice(tmp_path):
    system, clock = make_system(tmp_path)
    system.file_notice("blue", "pact", [circle(clock, lon=10.0, lat=50.0)])
    assert [e.kind for e in system.events("red")] == ["notice.filed"]
    assert [e.kind for e in system.events("green")] == ["notice.filed"]
    assert system.events("blue") == []


def test_a_subscription_limits_notice_events_to_its_area(tmp_path):
    system, clock = make_system(tmp_path)
    system.subscribe("red", "pact", [circle(clock, lon=2.35, lat=48.85, radius_m=20_000, start_h=0, hours=24)])
    system.file_notice("blue", "pact", [circle(clock, lon=10.0, lat=50.0)])  # far away
    system.file_notice("blue", "pact", [circle(clock, lon=2.40, lat=48.86)])  # inside
    heard = system.events("red")
    assert len(heard) == 1 and heard[0].payload["notice"]["volumes"][0]["footprint"]["lon"] == 2.40


def test_a_party_in_conflict_always_hears_even_outside_its_subscriptions(tmp_path):
    system, clock = make_system(tmp_path)
    mine = system.file_notice("red", "pact", [circle(clock, lon=5.0, lat=45.0)])
    system.subscribe("red", "pact", [circle(clock, lon=2.35, lat=48.85, radius_m=1000, start_h=0, hours=24)])
    system.file_notice("blue", "pact", [circle(clock, lon=5.001, lat=45.0)], key=[mine.notice.version])
    kinds = [e.kind for e in system.events("red")]
    assert "notice.filed" in kinds and "conflict.opened" in kinds


def test_events_are_resumable_and_in_order_per_party(tmp_path):
    system, clock = make_system(tmp_path)
    for i in range(5):
        system.file_notice("blue", "pact", [circle(clock, lon=2.0 + i)])
    events = system.events("red")
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert system.events("red", after_seq=events[2].seq) == events[3:]


def test_a_webhook_gets_one_pending_delivery_per_event_it_wants(tmp_path):
    system, clock = make_system(tmp_path)
    endpoint = system.add_endpoint("red", "http://127.0.0.1:9/hook", kinds=["conflict."])
    assert len(endpoint.secret) >= 32
    first = system.file_notice("red", "pact", [circle(clock)])
    system.file_notice("blue", "pact", [circle(clock, lon=2.36)], key=[first.notice.version])
    pending = system.deliveries("red", state="pending")
    assert [system_event.kind for system_event in system.events("red") if system_event.seq in {d.event_seq for d in pending}] == ["conflict.opened"]


def test_webhooks_must_be_https_except_on_loopback(tmp_path):
    system, _ = make_system(tmp_path)
    with pytest.raises(DeconflictionError) as refused:
        system.add_endpoint("red", "http://example.org/hook")
    assert refused.value.field == "url"
    assert system.endpoints("red") == []


def test_unknown_event_kinds_are_refused_naming_the_field(tmp_path):
    system, clock = make_system(tmp_path)
    with pytest.raises(DeconflictionError) as refused:
        system.subscribe("red", "pact", [circle(clock)], kinds=["weather."])
    assert refused.value.field == "kinds.0"
    assert system.subscriptions("red") == []
