"""Alert lifecycle: one alert per encounter, updated when it matters, closed after it is over."""

from deconfliction.monitor import Hysteresis, Monitor, MonitorConfig, PositionReport

T0 = 1_633_608_000.0


def aircraft(party, ident, time, lon, track, speed=200.0, altitude=10_000.0, lat=0.0):
    return PositionReport(party=party, aircraft=ident, time=time, lat=lat, lon=lon, altitude_m=altitude,
                          ground_speed_ms=speed, track_deg=track, vertical_rate_ms=0.0, callsign=ident.upper())


def head_on(time):
    """Two aircraft of different parties approaching head-on along the equator, ~22 km apart at T0."""
    elapsed = time - T0
    return [aircraft("A", "a1", time, -0.1 + elapsed * 200 / 111_319.49, 90), aircraft("B", "b1", time, 0.1 - elapsed * 200 / 111_319.49, 270)]


def test_an_encounter_opens_one_alert_and_is_not_resent_every_cycle():
    alerts = []
    channels = []
    monitor = Monitor(sink=alerts.append, channel_for=lambda lon, lat, alt, t: channels.append((lon, lat, alt, t)) or "121.5 MHz")
    for second in range(20):
        monitor.ingest(head_on(T0 + second))
        monitor.step(T0 + second)
    assert [(a.kind, a.status) for a in alerts] == [("separation.predicted", "opened")]
    alert = alerts[0]
    assert alert.parties == ("A", "B") and alert.channel == "121.5 MHz"
    assert abs(alert.t_cpa_s - 22_264 / 400) < 1 and alert.d_cpa_m < 1
    assert alert.cpa_at.tzinfo is not None and alert.at.tzinfo is not None
    lon, lat, alt, when = channels[0]
    assert abs(lon) < 0.001 and abs(lat) < 0.001 and alt == 10_000  # where they will meet
    assert [s.callsign for s in alert.aircraft] == ["A1", "B1"]


def test_alert_is_updated_when_separation_is_lost_and_closed_after_it_is_regained():
    alerts = []
    monitor = Monitor(MonitorConfig(hysteresis=Hysteresis(close_after_cycles=3)), sink=alerts.append)
    for second in range(0, 120):
        monitor.ingest(head_on(T0 + second))
        monitor.step(T0 + second)
    statuses = [(a.kind, a.status) for a in alerts]
    assert statuses[0] == ("separation.predicted", "opened")
    assert ("separation.lost", "updated") in statuses
    assert statuses[-1][1] == "closed" and alerts[-1].reason == "separation regained"
    assert len({a.id for a in alerts}) == 1
    # it closed three cycles after the pair separated (t_out ≈ (22264 + 9260) / 400 ≈ 78.8 s)
    assert 80 <= (alerts[-1].at.timestamp() - T0) <= 82


def test_a_flickering_conflict_does_not_open_a_new_alert_each_time():
    alerts = []
    monitor = Monitor(MonitorConfig(hysteresis=Hysteresis(close_after_cycles=5)), sink=alerts.append)
    for second in range(30):
        reports = head_on(T0 + second)
        if second % 3 == 1:  # every third cycle, one of them seems to be 2000 ft higher
            reports[1] = aircraft("B", "b1", T0 + second, reports[1].lon, 270, altitude=10_610.0)
        monitor.ingest(reports)
        monitor.step(T0 + second)
    assert [a.status for a in alerts].count("opened") == 1
    assert "closed" not in [a.status for a in alerts]


def test_alerts_of_a_dropped_aircraft_are_closed():
    alerts = []
    monitor = Monitor(MonitorConfig(stale_after_s=10), sink=alerts.append)
    monitor.ingest(head_on(T0))
    monitor.step(T0)
    monitor.step(T0 + 11)
    assert [a.status for a in alerts] == ["opened", "closed"] and alerts[-1].reason == "track lost"


def test_alerts_serialise_to_json_with_utc_times():
    alerts = []
    monitor = Monitor(sink=alerts.append)
    monitor.ingest(head_on(T0))
    monitor.step(T0)
    text = alerts[0].model_dump_json()
    assert '"kind":"separation.predicted"' in text and "2021-10-07T12:00:00Z" in text
