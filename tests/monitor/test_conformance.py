"""Conformance: an aircraft outside its notice's volumes for longer than the grace period."""

from datetime import datetime, timedelta, timezone

import pytest

from deconfliction.monitor import Monitor, MonitorConfig, PositionReport, volumes_checker

T0 = 1_633_608_000.0


def fly(monitor, second, lat, notice="N1", geometric=None):
    monitor.ingest([PositionReport(party="P", aircraft="a1", time=T0 + second, lat=lat, lon=2.0, altitude_m=3_000.0,
                                   geometric_altitude_m=geometric, ground_speed_ms=100.0, track_deg=0.0, notice_id=notice)])
    return monitor.step(T0 + second).alerts


def box(notice_id, lon, lat, altitude_m, datum, when):
    """Notice N1 covers latitudes below 48.5; other notices are unknown."""
    if notice_id != "N1":
        return None
    return lat < 48.5


def test_outside_longer_than_the_grace_period_raises_an_alert_until_back_inside():
    sent = []
    monitor = Monitor(MonitorConfig(conformance_grace_s=10), sink=sent.append, inside=box)
    assert fly(monitor, 0, 48.0) == []
    assert fly(monitor, 1, 48.6) == []  # outside, but within grace
    assert fly(monitor, 5, 48.6) == []
    lost = fly(monitor, 11, 48.6)
    assert [(a.kind, a.status, a.notice_id) for a in lost] == [("conformance.lost", "opened", "N1")]
    assert monitor.nonconforming_notices() == {"N1"}
    assert fly(monitor, 12, 48.7) == []  # no repeat while still outside
    regained = fly(monitor, 13, 48.2)
    assert [(a.kind, a.status, a.id) for a in regained] == [("conformance.regained", "closed", lost[0].id)]
    assert monitor.nonconforming_notices() == set()


def test_a_brief_excursion_raises_nothing():
    monitor = Monitor(MonitorConfig(conformance_grace_s=10), inside=box)
    alerts = [fly(monitor, s, 48.6 if 2 <= s <= 8 else 48.0) for s in range(20)]
    assert sum(alerts, []) == []


def test_unknown_notices_are_not_judged():
    monitor = Monitor(MonitorConfig(conformance_grace_s=0), inside=box)
    assert fly(monitor, 0, 60.0, notice="N9") == [] and fly(monitor, 100, 60.0, notice="N9") == []


def test_geometric_altitude_is_preferred_and_passed_as_w84():
    seen = []
    monitor = Monitor(inside=lambda *args: seen.append(args) or True)
    fly(monitor, 0, 48.0, geometric=3_050.0)
    fly(monitor, 1, 48.0)
    assert seen[0][3:5] == (3_050.0, "W84")
    assert seen[1][3:5] == (3_000.0, "AMSL")  # no geometric height with this position: barometric, as AMSL
    assert seen[0][5] == datetime.fromtimestamp(T0, tz=timezone.utc)


def test_checker_on_the_core_geometry():
    geometry = pytest.importorskip("deconfliction.geometry")
    if not hasattr(geometry, "contains_position"):
        pytest.skip("deconfliction.geometry has no contains_position yet")
    start = datetime.fromtimestamp(T0, tz=timezone.utc)
    volume = geometry.Volume4D.model_validate({
        "footprint": {"kind": "circle", "lon": 2.0, "lat": 48.0, "radius_m": 20_000},
        "altitude": {"lower_m": 0, "upper_m": 5_000, "datum": "AMSL"},
        "time": {"start": start - timedelta(hours=1), "end": start + timedelta(hours=1)},
    })
    inside = volumes_checker(lambda notice: [volume] if notice == "N1" else None)
    sent = []
    monitor = Monitor(MonitorConfig(conformance_grace_s=5), sink=sent.append, inside=inside)
    fly(monitor, 0, 48.0)
    fly(monitor, 1, 48.5)  # 55 km north of the centre
    fly(monitor, 7, 48.5)
    assert [(a.kind, a.status) for a in sent] == [("conformance.lost", "opened")]
    assert inside("N2", 2.0, 48.0, 3_000.0, "AMSL", start) is None

