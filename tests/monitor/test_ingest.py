"""Ingest: bad reports are counted with their reason, repeats and stragglers change nothing,
silent aircraft are forgotten."""

import math

from deconfliction.monitor import Monitor, MonitorConfig, PositionReport

T0 = 1_633_608_000.0


def report(aircraft="a1", time=T0, party="P", **fields):
    base = dict(lat=48.0, lon=2.0, altitude_m=10_000.0, ground_speed_ms=200.0, track_deg=90.0, vertical_rate_ms=0.0)
    base.update(fields)
    return PositionReport(party=party, aircraft=aircraft, time=time, **base)


def test_malformed_reports_are_counted_with_their_reason_and_the_rest_accepted():
    monitor = Monitor()
    result = monitor.ingest([
        report(lat=91.0),
        report(lon=float("nan")),
        report(aircraft=""),
        {"party": "P", "aircraft": "x", "time": T0, "lat": 1.0, "lon": 2.0, "colour": "red"},
        {"party": "P", "aircraft": "x", "time": T0},
        "not a report",
        report(datum="QNH"),
        report(ground_speed_ms=None),
        report(aircraft="good"),
        {"party": "P", "aircraft": "m", "time": T0, "lat": 1.0, "lon": 2.0, "altitude_m": 300.0},
    ])
    assert result.accepted == 2
    reasons = [reason for _, reason in result.rejected]
    assert [index for index, _ in result.rejected] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert "latitude 91.0 outside [-90, 90]" in reasons[0]
    assert "lon is not a finite number" in reasons[1]
    assert "missing aircraft id" in reasons[2]
    assert "unknown fields: colour" in reasons[3]
    assert "neither a position nor a velocity" in reasons[4]
    assert "expected an object" in reasons[5]
    assert "unknown altitude datum" in reasons[6]
    assert "ground speed without track" in reasons[7]
    assert monitor.totals.malformed == 8
    monitor.step(T0)  # and the monitor carries on


def test_duplicates_and_out_of_order_reports_change_nothing():
    monitor = Monitor()
    assert monitor.ingest([report(time=T0 + 10, lat=48.1)]).accepted == 1
    result = monitor.ingest([report(time=T0 + 10, lat=48.1), report(time=T0 + 5, lat=47.0)])
    assert (result.accepted, result.duplicates, result.out_of_order) == (0, 1, 1)
    slot = monitor.tracks.slot_of(("P", "a1"))
    assert monitor.tracks.lat[slot] == 48.1 and monitor.tracks.pos_time[slot] == T0 + 10


def test_position_and_velocity_arriving_separately_are_merged():
    monitor = Monitor()
    monitor.ingest([
        PositionReport(party="P", aircraft="a1", time=T0, lat=48.0, lon=2.0, altitude_m=9_000.0),
        PositionReport(party="P", aircraft="a1", time=T0 + 0.5, ground_speed_ms=210.0, track_deg=180.0),
    ])
    slot = monitor.tracks.slot_of(("P", "a1"))
    assert monitor.tracks.altitude[slot] == 9_000.0 and monitor.tracks.ground_speed[slot] == 210.0
    assert monitor.tracks.vertical_rate[slot] == 0.0  # no vertical rate given: level
    assert monitor.step(T0 + 1).aircraft == 1


def test_same_local_id_in_two_parties_is_two_aircraft():
    monitor = Monitor()
    monitor.ingest([report(party="A", aircraft="lead"), report(party="B", aircraft="lead", lon=2.01)])
    assert len(monitor.tracks) == 2


def test_stale_aircraft_are_dropped_and_their_slots_reused():
    monitor = Monitor(MonitorConfig(stale_after_s=30.0))
    monitor.ingest([report("old", T0), report("fresh", T0 + 25)])
    assert monitor.step(T0 + 31).dropped == 1
    assert monitor.tracks.slot_of(("P", "old")) is None and len(monitor.tracks) == 1
    monitor.ingest([report(f"n{i}", T0 + 40) for i in range(3000)])  # the table grows past its capacity
    assert len(monitor.tracks) == 3001 and monitor.step(T0 + 41).aircraft == 3001


def test_aircraft_on_the_ground_are_not_separated_by_default():
    pair = [report("a", on_ground=True), report("b", lon=2.001, on_ground=True, party="Q")]
    assert Monitor().ingest(pair) and Monitor().step(T0).aircraft == 0
    monitor = Monitor(MonitorConfig(skip_ground=False))
    monitor.ingest(pair)
    assert monitor.step(T0).conflicts == 1


def test_dead_reckoning_moves_aircraft_to_the_cycle_time():
    monitor = Monitor()
    monitor.ingest([report(lat=0.0, lon=0.0, vertical_rate_ms=5.0)])
    slots, fleet = monitor.traffic_at(T0 + 10)
    from deconfliction.monitor.frames import to_lon_lat

    lon, lat = to_lon_lat(fleet.position)
    assert math.isclose(lon[0] * 111_319.49, 2_000, rel_tol=1e-4) and abs(lat[0]) < 1e-9
    assert fleet.altitude[0] == 10_050.0
