"""The tactical monitor inside the system (deconfliction.workers.tactical): reports of authenticated parties
in, alerts out as events to the parties involved, audited, and notices turned nonconforming and back.

Agreements (conftest): pact = blue, red, green (1 NM / 150 m; channels 'guard' everywhere and 'paris'
within 50 km of Paris); other = blue, yellow (same minima and channels)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from deconfliction import Separation
from deconfliction.workers.tactical import TacticalConfig, TacticalLoop, TacticalService

from factories import example_agreement


def converging(t: float, lon_blue: float = 2.30, lon_red: float = 2.40, lat: float = 48.85, altitude_m: float = 3000.0) -> tuple[dict, dict]:
    """Two aircraft at one altitude, 100 m/s head-on along a parallel, about 7 km apart."""
    blue = dict(aircraft="b1", time=t, lat=lat, lon=lon_blue, altitude_m=altitude_m, datum="AMSL", ground_speed_ms=100.0, track_deg=90.0, vertical_rate_ms=0.0)
    red = dict(aircraft="r1", time=t, lat=lat, lon=lon_red, altitude_m=altitude_m, datum="AMSL", ground_speed_ms=100.0, track_deg=270.0, vertical_rate_ms=0.0)
    return blue, red


def alert_events(system, party: str) -> list:
    return [e for e in system.events(party, 0, 1000) if e.kind.startswith("alert.")]


@pytest.fixture
def tactical(system) -> TacticalService:
    return TacticalService(system)


def test_converging_aircraft_of_two_parties_alert_both_parties_naming_the_channel_where_they_meet(system, clock, tactical):
    t = clock.now.timestamp()
    blue, red = converging(t)
    assert tactical.ingest("blue", [blue]).accepted == 1
    assert tactical.ingest("red", [red]).accepted == 1
    cycle = tactical.step(t)
    assert cycle.conflicts == 1 and cycle.published == 1
    for party in ("blue", "red"):
        (event,) = alert_events(system, party)
        assert event.kind == "alert.separation.predicted"
        assert event.payload["agreement_id"] == "pact"
        assert event.payload["alert"]["status"] == "opened"
        assert event.payload["alert"]["parties"] == ["blue", "red"]
        # Over Paris the area channel applies, not the fallback 'guard'.
        assert event.payload["channel"] == {"name": "paris", "contact": "tel:+33-1-0000"}
        assert 0 < event.payload["alert"]["t_cpa_s"] < 60
    assert alert_events(system, "green") == [], "a member not involved hears nothing of the encounter"
    assert alert_events(system, "yellow") == []
    actions = [e.action for e in system.audit_entries()]
    assert actions.count("alert.opened") == 1
    assert system.verify_audit().ok
    assert [p.alert.kind for p in tactical.open_alerts("red")] == ["separation.predicted"]


def test_the_channel_is_the_one_of_the_place_of_the_encounter(system, clock, tactical):
    t = clock.now.timestamp()
    blue, red = converging(t, lon_blue=12.40, lon_red=12.50, lat=41.9)  # Rome: outside the Paris channel's area
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    tactical.step(t)
    (event,) = alert_events(system, "blue")
    assert event.payload["channel"] == {"name": "guard", "contact": "121.500 MHz"}


def test_same_aircraft_pair_separated_vertically_raises_nothing(system, clock, tactical):
    t = clock.now.timestamp()
    blue, red = converging(t)
    red["altitude_m"] += 300.0  # twice the vertical minimum
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    assert tactical.step(t).published == 0
    assert alert_events(system, "blue") == []


def test_alerts_follow_the_agreement_both_parties_share(system, clock, tactical):
    """blue is in pact and other; yellow only in other: their encounter is other's, and red hears nothing."""
    t = clock.now.timestamp()
    blue, yellow = converging(t)
    yellow["aircraft"] = "y1"
    tactical.ingest("blue", [blue])
    tactical.ingest("yellow", [yellow])
    tactical.step(t)
    (event,) = alert_events(system, "yellow")
    assert event.payload["agreement_id"] == "other"
    assert [e.payload["agreement_id"] for e in alert_events(system, "blue")] == ["other"]
    assert alert_events(system, "red") == []


def test_an_alert_closes_when_the_track_is_lost_and_leaves_the_open_list(system, clock, tactical):
    t = clock.now.timestamp()
    blue, red = converging(t)
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    tactical.step(t)
    assert len(tactical.open_alerts("blue")) == 1
    tactical.step(t + 61)  # nothing heard for longer than stale_after_s
    kinds = [(e.kind, e.payload["alert"]["status"], e.payload["alert"]["reason"]) for e in alert_events(system, "red")]
    assert kinds[-1] == ("alert.separation.predicted", "closed", "track lost")
    assert tactical.open_alerts("blue") == []
    assert tactical.open_alerts() == []


def test_reports_are_the_authenticated_partys_whatever_they_say(system, clock, tactical):
    t = clock.now.timestamp()
    blue, red = converging(t)
    result = tactical.ingest("blue", [dict(blue, party="red"), dict(red, party="blue")])
    assert result.accepted == 1 and result.refused == 1
    assert result.problems == [(0, "party: reports are sent as the authenticated party ('blue'), not 'red'")]
    # The accepted report's aircraft is blue's: no encounter with itself, none across parties.
    assert tactical.step(t).published == 0


def test_malformed_reports_are_counted_with_their_reason_and_the_rest_accepted(system, clock, tactical):
    t = clock.now.timestamp()
    blue, _ = converging(t)
    batch = [
        blue,
        dict(blue, aircraft="b2", lat=123.0),
        dict(blue, aircraft="b3", speed=3),
        dict(blue, aircraft="b4", altitude_m=3000.0, datum="feet"),
        {k: v for k, v in dict(blue, aircraft="b5").items() if k != "datum"},
        "not a report",
        dict(blue, aircraft="b6", time="2026-06-01T08:00:00"),
        dict(blue, aircraft="b7", time="2026-06-01T08:00:00Z"),
        blue,
        dict(blue, time=t - 5),
    ]
    result = tactical.ingest("blue", batch)
    assert (result.accepted, result.duplicates, result.out_of_order, result.malformed, result.refused) == (2, 1, 1, 6, 0)
    reasons = dict(result.problems)
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6]
    assert "latitude 123.0" in reasons[1]
    assert "unknown fields: speed" in reasons[2]
    assert "unknown altitude datum 'feet'" in reasons[3]
    assert reasons[4].startswith("datum:")
    assert "expected an object" in reasons[5]
    assert "no UTC offset" in reasons[6]


def test_a_party_in_no_agreement_has_its_reports_refused(system, clock, tactical):
    from deconfliction import Party

    system.add_party(Party(id="loner", name="Loner"))
    blue, _ = converging(clock.now.timestamp())
    result = tactical.ingest("loner", [blue])
    assert result.accepted == 0 and result.refused == 1
    assert "member of no agreement" in result.problems[0][1]


# Conformance --------------------------------------------------------------------------------------

def flying_notice(system, clock, vol, party="blue"):
    """An active notice of `party` (500 m around Paris, 0–300 m W84) whose window is now open."""
    filing = system.file_notice(party, "pact", [vol()])
    clock.advance(hours=1, minutes=1)
    return system.activate_notice(party, filing.notice.id).notice


def under_notice(t: float, notice_id: str, lon: float = 2.35, aircraft: str = "b1") -> dict:
    return dict(aircraft=aircraft, time=t, lat=48.85, lon=lon, altitude_m=100.0, datum="W84", ground_speed_ms=0.0, track_deg=0.0, notice_id=notice_id)


def test_aircraft_outside_its_notice_past_the_grace_period_makes_it_nonconforming_and_active_again_back_inside(system, clock, vol, tactical):
    notice = flying_notice(system, clock, vol)
    t = clock.now.timestamp()
    outside = 2.45  # ~7 km east

    def at(seconds, lon):
        assert tactical.ingest("blue", [under_notice(t + seconds, notice.id, lon)]).accepted == 1
        tactical.step(t + seconds)
        return system.notice("blue", notice.id).state

    assert at(0, 2.35) == "active"
    assert at(10, outside) == "active"
    assert at(35, outside) == "active", "25 s outside is within the 30 s grace period"
    assert at(45, outside) == "nonconforming"
    lost = [e for e in alert_events(system, "blue") if e.kind == "alert.conformance.lost"]
    assert len(lost) == 1 and lost[0].payload["alert"]["notice_id"] == notice.id
    # The other members learn the notice's state (minimised), not where the aircraft is.
    red_changes = [e for e in system.events("red", 0, 1000) if e.kind == "notice.changed"]
    assert red_changes[-1].payload["notice"]["state"] == "nonconforming"
    assert alert_events(system, "red") == []
    assert at(50, 2.35) == "active"
    regained = [e for e in alert_events(system, "blue") if e.kind == "alert.conformance.regained"]
    assert len(regained) == 1 and regained[0].payload["alert"]["status"] == "closed"
    assert [e.payload["notice"]["state"] for e in system.events("red", 0, 1000) if e.kind == "notice.changed"][-1] == "active"
    actions = [(e.action, e.actor) for e in system.audit_entries()]
    assert ("notice.changed", "monitor") in actions and ("alert.opened", "monitor") in actions and ("alert.closed", "monitor") in actions
    assert system.verify_audit().ok


def test_a_notice_stays_nonconforming_while_any_of_its_aircraft_is_outside(system, clock, vol, tactical):
    notice = flying_notice(system, clock, vol)
    t = clock.now.timestamp()
    tactical.ingest("blue", [under_notice(t, notice.id, 2.45, "b1"), under_notice(t, notice.id, 2.46, "b2")])
    tactical.step(t)
    tactical.ingest("blue", [under_notice(t + 31, notice.id, 2.45, "b1"), under_notice(t + 31, notice.id, 2.46, "b2")])
    tactical.step(t + 31)
    assert system.notice("blue", notice.id).state == "nonconforming"
    tactical.ingest("blue", [under_notice(t + 40, notice.id, 2.35, "b1"), under_notice(t + 40, notice.id, 2.46, "b2")])
    tactical.step(t + 40)
    assert system.notice("blue", notice.id).state == "nonconforming"
    tactical.ingest("blue", [under_notice(t + 45, notice.id, 2.35, "b2")])
    tactical.step(t + 45)
    assert system.notice("blue", notice.id).state == "active"


def test_a_report_claiming_another_partys_notice_is_refused_with_a_reason(system, clock, vol, tactical):
    notice = flying_notice(system, clock, vol, party="red")
    t = clock.now.timestamp()
    result = tactical.ingest("blue", [under_notice(t, notice.id), under_notice(t, "no-such-notice", aircraft="b2")])
    assert result.accepted == 0 and result.refused == 2
    reasons = dict(result.problems)
    assert reasons[0] == f"notice_id: no live notice {notice.id!r} of yours"
    # The same answer as for a notice that does not exist: nothing told about red's notice.
    assert reasons[1] == "notice_id: no live notice 'no-such-notice' of yours"
    # And red's notice is never judged by blue's aircraft, however far it strays.
    tactical.ingest("blue", [under_notice(t + 100, notice.id, 2.45)])
    tactical.step(t + 100)
    assert system.notice("red", notice.id).state == "active"


def test_a_report_under_an_ended_notice_is_refused(system, clock, vol, tactical):
    notice = flying_notice(system, clock, vol)
    system.end_notice("blue", notice.id)
    result = tactical.ingest("blue", [under_notice(clock.now.timestamp(), notice.id)])
    assert result.refused == 1 and "no live notice" in result.problems[0][1]


# Nothing lost, never fatal --------------------------------------------------------------------------

def test_alerts_of_a_failed_write_are_published_by_the_next_step_in_order(system, clock, tactical, monkeypatch):
    t = clock.now.timestamp()
    blue, red = converging(t)
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    real = system.write

    def refuse(work):
        raise RuntimeError("store unavailable")

    monkeypatch.setattr(system, "write", refuse)
    with pytest.raises(RuntimeError):
        tactical.step(t)
    assert alert_events(system, "blue") == [] and tactical.pending() == 1
    monkeypatch.setattr(system, "write", real)
    cycle = tactical.step(t + 1)
    assert cycle.published == 1 and tactical.pending() == 0
    assert [e.payload["alert"]["status"] for e in alert_events(system, "blue")] == ["opened"]


def test_the_loop_runs_steps_until_stopped_and_survives_failing_ones(system, clock):
    class Flaky:
        calls = 0

        def step(self):
            Flaky.calls += 1
            if Flaky.calls % 2:
                raise RuntimeError("boom")

    loop = TacticalLoop(Flaky(), interval_s=0.01).start()
    deadline = time.monotonic() + 5
    while Flaky.calls < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    assert not loop.running
    assert Flaky.calls >= 6 and loop.errors >= 3
    calls = Flaky.calls
    time.sleep(0.05)
    assert Flaky.calls == calls, "no step after stop()"


def test_look_ahead_is_configurable(system, clock):
    t = clock.now.timestamp()
    blue, red = converging(t, lon_blue=2.0, lon_red=2.7)  # ~51 km apart: closest approach in ~250 s
    short = TacticalService(system, TacticalConfig(lookahead_s=120))
    short.ingest("blue", [blue])
    short.ingest("red", [red])
    assert short.step(t).conflicts == 0
    default = TacticalService(system)
    default.ingest("blue", [blue])
    default.ingest("red", [red])
    assert default.step(t).conflicts == 1


def test_config_from_environment():
    assert TacticalConfig.from_env({"DECONFLICTION_TACTICAL_LOOKAHEAD_S": "120"}).lookahead_s == 120
    assert TacticalConfig.from_env({}).lookahead_s == 300
    with pytest.raises(ValueError):
        TacticalConfig.from_env({"DECONFLICTION_TACTICAL_LOOKAHEAD_S": "-1"})


@pytest.mark.parametrize("agreement", [example_agreement(separation=Separation(lateral_m=1.0, vertical_m=0.0, time_buffer_s=0.0))])
def test_an_agreement_without_a_vertical_minimum_is_monitored_for_conformance_and_predicts_no_loss_of_separation(system, clock, vol, tactical):
    """F3548 agreements (examples/utm.toml) have a vertical minimum of 0: no gap is below it, so two
    aircraft head-on at one altitude are no encounter; straying from a notice is still caught."""
    notice = flying_notice(system, clock, vol)
    t = clock.now.timestamp()
    blue, red = converging(t, lon_blue=2.3500, lon_red=2.3501, altitude_m=100.0)  # ~7 m apart, same altitude
    tactical.ingest("red", [red])
    tactical.ingest("blue", [blue])
    assert tactical.step(t).conflicts == 0
    tactical.ingest("blue", [under_notice(t + 1, notice.id, lon=2.45)])
    tactical.step(t + 1)
    tactical.ingest("blue", [under_notice(t + 40, notice.id, lon=2.45)])
    tactical.step(t + 40)
    assert system.notice("blue", notice.id).state == "nonconforming"
    assert [e.kind for e in alert_events(system, "red")] == []
