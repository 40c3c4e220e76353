"""Channels: every conflict and tactical alert names the channel that applies where (and when) it
happens; the channel plan per area and for a point; channels assigned from a pool by graph colouring.

Agreements (conftest): pact = blue, red, green (1 NM / 150 m / 5 min; channels 'guard' everywhere and
'paris' within 50 km of (2.35, 48.85))."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconfliction import Circle, Polygon
from deconfliction.models.agreements import Channel, ChannelAssignment, load_toml
from deconfliction.errors import InvalidInput, NotFound
from deconfliction.store import SQLiteStore
from deconfliction.service import Deconfliction
from deconfliction.workers.tactical import TacticalService

from factories import FixedClock, circle_volume, example_agreement

GEOD = Geod(ellps="WGS84")
PARIS = (2.35, 48.85)


def east_of_paris(km: float, north_km: float = 0.0) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*PARIS, 90.0, km * 1000.0)
    if north_km:
        lon, lat, _ = GEOD.fwd(lon, lat, 0.0 if north_km > 0 else 180.0, abs(north_km) * 1000.0)
    return float(lon), float(lat)


def file_two(system, red_volume, blue_volume, agreement="pact"):
    red = system.file_notice("red", agreement, [red_volume]).notice
    return system.file_notice("blue", agreement, [blue_volume], key=[red.version]).conflicts


# The channel of a conflict: where the volumes come closest -----------------------------------------
def test_a_conflict_whose_closest_point_is_inside_an_area_names_that_area_although_one_notice_lies_outside(system, vol):
    # blue: a 48 km circle on Paris; red: a 1.5 km circle whose centre is 50.8 km out, outside the Paris
    # channel's 50 km. They come closest 48–49.3 km out: inside.
    lon, lat = east_of_paris(50.8)
    (conflict,) = file_two(system, vol(lon=lon, lat=lat, radius_m=1500), vol(radius_m=48_000))
    assert 1000 < conflict.lateral_m < 1852
    assert conflict.channel.name == "paris"


def test_a_conflict_whose_closest_point_is_outside_an_area_names_the_fallback_although_one_notice_is_centred_inside(system, vol):
    # blue: a 49.8 km circle on Paris (centre inside); red: 1.5 km circle 52.5 km out. Closest: ~50.4 km out.
    lon, lat = east_of_paris(52.5)
    (conflict,) = file_two(system, vol(lon=lon, lat=lat, radius_m=1500), vol(radius_m=49_800))
    assert conflict.channel.name == "guard"


def test_of_several_volumes_the_pair_that_comes_closest_decides(system, vol):
    # red has one volume far inside Paris's area and one outside; blue meets only the outside one.
    inside, outside = PARIS, east_of_paris(80)
    red = system.file_notice("red", "pact", [vol(lon=inside[0], lat=inside[1]), vol(lon=outside[0], lat=outside[1])]).notice
    lon, lat = east_of_paris(80.5)
    (conflict,) = system.file_notice("blue", "pact", [vol(lon=lon, lat=lat)], key=[red.version]).conflicts
    assert conflict.channel.name == "guard"


def test_a_conflict_names_the_channel_in_effect_when_the_volumes_first_meet(system, clock):
    start = clock.now + timedelta(hours=1)
    system.add_agreement(example_agreement(id="shifts", channels=[
        Channel(name="day", contact="1", start=start - timedelta(hours=1), end=start + timedelta(minutes=30)),
        Channel(name="evening", contact="2", start=start + timedelta(minutes=30)),
    ]))
    red = system.file_notice("red", "shifts", [circle_volume(clock.now, start_h=1.0, hours=2)]).notice
    blue = system.file_notice("blue", "shifts", [circle_volume(clock.now, start_h=2.0, hours=1)], key=[red.version]).conflicts
    assert blue[0].time_start == start + timedelta(hours=1)
    assert blue[0].channel.name == "evening"


def _distance_to_circle(lon, lat, circle: Circle) -> float:
    _, _, d = GEOD.inv(lon, lat, circle.lon, circle.lat)
    return max(0.0, float(d) - circle.radius_m)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    red_km=st.floats(0, 60), red_bearing=st.floats(0, 360), red_r=st.floats(100, 20_000),
    gap=st.floats(0, 1800), bearing=st.floats(0, 360), blue_r=st.floats(100, 20_000),
)
def test_property_a_conflict_lies_on_the_shortest_path_between_its_volumes_and_names_the_channel_there(
    tmp_path_factory, red_km, red_bearing, red_r, gap, bearing, blue_r
):
    clock = FixedClock()
    system = Deconfliction(SQLiteStore(tmp_path_factory.mktemp("prop") / "p.db"), clock=clock)
    try:
        system.add_agreement(example_agreement())
        rlon, rlat, _ = GEOD.fwd(*PARIS, red_bearing, red_km * 1000)
        blon, blat, _ = GEOD.fwd(rlon, rlat, bearing, red_r + gap + blue_r)
        red_fp, blue_fp = Circle(lon=rlon, lat=rlat, radius_m=red_r), Circle(lon=blon, lat=blat, radius_m=blue_r)
        conflicts = file_two(system, circle_volume(clock.now, lon=rlon, lat=rlat, radius_m=red_r), circle_volume(clock.now, lon=blon, lat=blat, radius_m=blue_r))
        (conflict,) = conflicts
        lon, lat = conflict.where
        # The place is on a shortest path between the footprints (to 1 m) ...
        assert _distance_to_circle(lon, lat, red_fp) + _distance_to_circle(lon, lat, blue_fp) <= conflict.lateral_m + 1.0
        # ... and the conflict names the channel that applies there, then.
        expected = example_agreement().channel_at(lon, lat, conflict.time_start)
        assert conflict.channel.name == expected.name
    finally:
        system.close()


# Tactical alerts: the place of closest approach, or the aircraft's position -------------------------
def _converging_north_south(t: float, cpa: tuple[float, float], km: float) -> tuple[dict, dict]:
    """Two aircraft at one altitude flying at each other along a meridian, `km` each side of `cpa`."""
    north = GEOD.fwd(*cpa, 0.0, km * 1000)
    south = GEOD.fwd(*cpa, 180.0, km * 1000)
    common = dict(time=t, altitude_m=3000.0, datum="AMSL", ground_speed_ms=100.0, vertical_rate_ms=0.0)
    return (dict(common, aircraft="b1", lon=north[0], lat=north[1], track_deg=180.0),
            dict(common, aircraft="r1", lon=south[0], lat=south[1], track_deg=0.0))


def _alert_channels(system, party):
    return [e.payload["channel"] for e in system.events(party, 0, 1000) if e.kind.startswith("alert.")]


def test_a_separation_alert_names_the_channel_where_the_aircraft_will_be_closest_not_where_they_are(system, clock):
    tactical = TacticalService(system)
    t = clock.now.timestamp()
    # Closest approach 48 km east of Paris (inside), both aircraft now 15 km from it (~50.3 km out: outside).
    blue, red = _converging_north_south(t, east_of_paris(48), 15)
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    tactical.step(t)
    assert _alert_channels(system, "blue") == [{"name": "paris", "contact": "tel:+33-1-0000"}]


def test_a_separation_alert_whose_aircraft_are_inside_but_meet_outside_names_the_outside_channel(system, clock):
    tactical = TacticalService(system)
    t = clock.now.timestamp()
    # Closest approach 52 km east (outside); the aircraft now 12 km west-north-west and west-south-west
    # of it, inside the area, flying at it.
    cpa = east_of_paris(52)
    nw = GEOD.fwd(*cpa, 300.0, 12_000)
    sw = GEOD.fwd(*cpa, 240.0, 12_000)
    common = dict(time=t, altitude_m=3000.0, datum="AMSL", ground_speed_ms=100.0, vertical_rate_ms=0.0)
    blue = dict(common, aircraft="b1", lon=nw[0], lat=nw[1], track_deg=GEOD.inv(nw[0], nw[1], *cpa)[0] % 360)
    red = dict(common, aircraft="r1", lon=sw[0], lat=sw[1], track_deg=GEOD.inv(sw[0], sw[1], *cpa)[0] % 360)
    for position in (nw, sw):
        assert GEOD.inv(*PARIS, position[0], position[1])[2] < 50_000
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red])
    tactical.step(t)
    assert _alert_channels(system, "red") == [{"name": "guard", "contact": "121.500 MHz"}]


def test_a_conformance_alert_names_the_channel_where_the_aircraft_is(system, clock, vol):
    tactical = TacticalService(system)
    notice = system.file_notice("blue", "pact", [vol(start_h=0.5, hours=2)]).notice  # over Paris
    clock.advance(hours=1)
    t = clock.now.timestamp()
    lon, lat = east_of_paris(60)  # strayed 60 km east: outside the notice and the Paris channel's area
    report = dict(aircraft="b1", lon=lon, lat=lat, altitude_m=100.0, datum="W84", ground_speed_ms=0.0, track_deg=0.0, vertical_rate_ms=0.0, notice_id=notice.id)
    for step in range(0, 40, 5):
        tactical.ingest("blue", [dict(report, time=t + step)])
        tactical.step(t + step)
    events = [e for e in system.events("blue", 0, 1000) if e.kind == "alert.conformance.lost"]
    assert events and events[0].payload["channel"] == {"name": "guard", "contact": "121.500 MHz"}


# The channel plan ----------------------------------------------------------------------------------
def test_the_plan_lists_every_channel_with_its_area_as_geojson(system):
    items = system.channels("red", "pact")
    assert [(i.name, i.contact, i.source) for i in items] == [("guard", "121.500 MHz", "agreement"), ("paris", "tel:+33-1-0000", "agreement")]
    assert items[0].area is None
    assert items[1].area == {"type": "Point", "coordinates": [2.35, 48.85], "radius_m": 50_000}


def test_the_plan_for_an_area_leaves_out_channels_whose_area_does_not_reach_it(system, vol):
    assert [i.name for i in system.channels("red", "pact", area=vol(lon=12.5, lat=41.9))] == ["guard"]
    assert [i.name for i in system.channels("red", "pact", area=Circle(lon=2.9, lat=48.85, radius_m=20_000))] == ["guard", "paris"]


def test_the_plan_at_a_time_leaves_out_channels_not_in_effect(system, clock):
    start = clock.now + timedelta(hours=1)
    polygon = Polygon(vertices=((0, 0), (1, 0), (1, 1), (0, 1)))
    system.add_agreement(example_agreement(id="shifts", channels=[
        Channel(name="later", contact="1", area=polygon, start=start),
        Channel(name="always", contact="2"),
    ]))
    assert [i.name for i in system.channels("red", "shifts", at=clock.now)] == ["always"]
    items = system.channels("red", "shifts", at=start)
    assert [i.name for i in items] == ["later", "always"]
    assert items[0].area == {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]} and items[0].start == start


def test_the_plan_for_a_point_lists_the_applying_channel_first(system):
    assert [i.name for i in system.channels("red", "pact", point=PARIS)] == ["paris", "guard"]
    assert [i.name for i in system.channels("red", "pact", point=(12.5, 41.9))] == ["guard"]


def test_only_members_see_an_agreements_channels_and_the_operator_sees_all(system):
    with pytest.raises(NotFound):
        system.channels("yellow", "pact")
    assert len(system.channels(None, "pact")) == 2
    with pytest.raises(NotFound):
        system.channels(None, "nope")


# Channels from a pool --------------------------------------------------------------------------------
POOL = ["123.450 MHz", "122.750 MHz", "121.950 MHz"]


def pooled(system, pool=POOL, neighbour_m=20_000.0, **overrides):
    system.add_agreement(example_agreement(
        id="pooled", channel_assignment=ChannelAssignment(pool=list(pool), neighbour_distance_m=neighbour_m), **overrides
    ))
    return "pooled"


def conflict_pair(system, vol, lon, lat, parties=("red", "blue"), agreement="pooled"):
    """Two conflicting notices at (lon, lat); the clock moves on a minute after, so clusters have an age."""
    first = system.file_notice(parties[0], agreement, [vol(lon=lon, lat=lat)]).notice
    conflicts = system.file_notice(parties[1], agreement, [vol(lon=lon + 0.001, lat=lat)], key=[first.version]).conflicts
    system.clock.advance(minutes=1)
    return conflicts


def test_a_pool_is_read_from_toml_with_units():
    agreement, _ = load_toml('''
[agreement]
id = "p"
name = "P"
parties = ["a", "b"]
[agreement.separation]
lateral = "1 NM"
vertical = "500 ft"
[agreement.channel_assignment]
pool = ["123.450 MHz", { name = "Ops 2", contact = "122.750 MHz" }]
neighbour_distance = "20 NM"
''')
    assert [(c.name, c.contact) for c in agreement.channel_assignment.pool] == [("123.450 MHz", "123.450 MHz"), ("Ops 2", "122.750 MHz")]
    assert agreement.channel_assignment.neighbour_distance_m == pytest.approx(37_040.0)


@pytest.mark.parametrize("table, field", [
    ('pool = []', "agreement.channel_assignment.pool"),
    ('pool = ["a", "a"]', "agreement.channel_assignment.pool"),
    ('pool = ["a"]\nneighbour_distance = "far"', "agreement.channel_assignment.neighbour_distance"),
])
def test_a_bad_pool_is_refused_naming_the_field(table, field):
    text = f'[agreement]\nid = "p"\nname = "P"\nparties = ["a"]\n[agreement.separation]\nlateral = "1 NM"\nvertical = "500 ft"\n[agreement.channel_assignment]\n{table}\n'
    with pytest.raises(InvalidInput) as refused:
        load_toml(text)
    assert refused.value.field.startswith(field)


def test_overlapping_operations_of_several_parties_in_one_area_share_one_assigned_channel(system, vol):
    agreement = pooled(system)
    red = system.file_notice("red", agreement, [vol()]).notice
    blue = system.file_notice("blue", agreement, [vol(lon=2.351)], key=[red.version]).notice
    green = system.file_notice("green", agreement, [vol(lon=2.352)], key=[red.version, blue.version]).conflicts
    conflicts = system.conflicts(None, agreement_id=agreement)
    assert len(conflicts) == 3 and len(green) == 2
    assert {c.channel.name for c in conflicts} == {"123.450 MHz"}
    assert all(c.channel.assigned and not c.channel.pool_exhausted for c in conflicts)
    # The events told the assigned channel from the start: no second event to change it.
    opened = [e for e in system.events("green") if e.kind == "conflict.opened"]
    assert {e.payload["conflict"]["channel"]["name"] for e in opened} == {"123.450 MHz"}
    assert not [e for e in system.events("red") if e.kind == "conflict.channel_changed"]


def test_neighbouring_clusters_get_different_channels_and_distant_ones_may_share(system, vol):
    agreement = pooled(system)
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    (b,) = conflict_pair(system, vol, 2.50, 48.85)  # ~11 km east: a neighbour
    (c,) = conflict_pair(system, vol, 5.00, 48.85)  # ~190 km east: far from both
    assert a.channel.name == "123.450 MHz"
    assert b.channel.name == "122.750 MHz"
    assert c.channel.name == "123.450 MHz"


def test_clusters_at_different_times_are_not_neighbours(system, vol):
    agreement = pooled(system)
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    first = system.file_notice("red", agreement, [vol(lon=2.50, start_h=5)]).notice
    (b,) = system.file_notice("blue", agreement, [vol(lon=2.501, start_h=5)], key=[first.version]).conflicts
    assert a.channel.name == b.channel.name == "123.450 MHz"


def test_assigned_channels_stay_put_as_other_clusters_come_and_go(system, vol):
    agreement = pooled(system)
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    (b,) = conflict_pair(system, vol, 2.50, 48.85)
    # A third cluster between them takes the third channel; a and b keep theirs.
    (c,) = conflict_pair(system, vol, 2.42, 48.85)
    by_id = {x.id: x.channel.name for x in system.conflicts(None, agreement_id=agreement)}
    assert (by_id[a.id], by_id[b.id], by_id[c.id]) == ("123.450 MHz", "122.750 MHz", "121.950 MHz")
    # a's cluster goes; the others keep their channels.
    system.cancel_notice("red", a.notice_a if a.party_a == "red" else a.notice_b)
    by_id = {x.id: x.channel.name for x in system.conflicts(None, agreement_id=agreement)}
    assert (by_id[b.id], by_id[c.id]) == ("122.750 MHz", "121.950 MHz")


def test_when_clusters_merge_the_oldest_keeps_its_channel_and_both_sides_hear_of_the_change(system, vol):
    agreement = pooled(system)
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    (b,) = conflict_pair(system, vol, 2.40, 48.85)  # 3.7 km east: neighbour, second channel
    assert (a.channel.name, b.channel.name) == ("123.450 MHz", "122.750 MHz")
    keys = [n.version for n in system.notices("green", agreement_id=agreement)]
    # green's wide notice conflicts with all four notices: one cluster.
    system.file_notice("green", agreement, [vol(lon=2.375, radius_m=3000)], key=keys)
    conflicts = system.conflicts(None, agreement_id=agreement)
    assert len(conflicts) == 6 and {c.channel.name for c in conflicts} == {"123.450 MHz"}
    changed = [e for e in system.events("blue") if e.kind == "conflict.channel_changed"]
    assert [(e.payload["conflict"]["id"], e.payload["previous_channel"]["name"], e.payload["conflict"]["channel"]["name"]) for e in changed] == [
        (b.id, "122.750 MHz", "123.450 MHz")
    ]
    assert "channels.assigned" in [e.action for e in system.audit_entries()]


def test_a_pool_too_small_says_so_on_the_conflicts_that_share_a_channel_with_a_neighbour(system, vol):
    agreement = pooled(system, pool=["only"])
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    assert not a.channel.pool_exhausted
    (b,) = conflict_pair(system, vol, 2.50, 48.85)
    (c,) = conflict_pair(system, vol, 5.00, 48.85)
    by_id = {x.id: x.channel for x in system.conflicts(None, agreement_id=agreement)}
    assert by_id[a.id].name == by_id[b.id].name == "only"
    assert by_id[a.id].pool_exhausted and by_id[b.id].pool_exhausted
    assert not by_id[c.id].pool_exhausted  # no neighbour: nothing shared
    entry = [e for e in system.audit_entries() if e.action == "channels.assigned"][-1]
    assert set(entry.payload["pool_exhausted"]) == {a.id, b.id}


def test_the_plan_and_a_point_inside_a_cluster_name_its_assigned_channel_first(system, vol):
    agreement = pooled(system)
    (a,) = conflict_pair(system, vol, 2.35, 48.85)
    items = system.channels("green", agreement, point=(2.35, 48.85))
    assert [(i.name, i.source) for i in items] == [("123.450 MHz", "assigned"), ("paris", "agreement"), ("guard", "agreement")]
    assert items[0].area["type"] == "GeometryCollection" and sorted(items[0].notices) == sorted([a.notice_a, a.notice_b])
    assert [i.source for i in system.channels("green", agreement, point=(2.6, 48.85))] == ["agreement", "agreement"]
    assert [i.source for i in system.channels("green", agreement)] == ["assigned", "agreement", "agreement"]


def test_a_tactical_alert_inside_a_cluster_names_its_assigned_channel(system, clock, vol):
    agreement = pooled(system, channels=[Channel(name="guard", contact="121.500 MHz")])
    system.add_agreement(example_agreement(id="pact", parties=["blue", "red", "green"], channels=[]))  # no second alert channel
    red = system.file_notice("red", agreement, [vol(radius_m=20_000, start_h=0.5, hours=2, upper_m=5000)]).notice
    system.file_notice("blue", agreement, [vol(radius_m=20_000, start_h=0.5, hours=2, upper_m=5000)], key=[red.version])
    clock.advance(hours=1)
    tactical = TacticalService(system)
    t = clock.now.timestamp()
    blue, red_ = _converging_north_south(t, PARIS, 7)
    tactical.ingest("blue", [blue])
    tactical.ingest("red", [red_])
    tactical.step(t)
    channels = [e.payload["channel"] for e in system.events("blue", 0, 1000) if e.kind.startswith("alert.") and e.payload["agreement_id"] == agreement]
    assert channels == [{"name": "123.450 MHz", "contact": "123.450 MHz"}]


def _notice_party(conflict, party):
    return conflict.notice_a if conflict.party_a == party else conflict.notice_b


def test_without_a_pool_nothing_is_assigned(system, vol):
    red = system.file_notice("red", "pact", [vol()]).notice
    (conflict,) = system.file_notice("blue", "pact", [vol(lon=2.351)], key=[red.version]).conflicts
    assert conflict.channel.name == "paris" and not conflict.channel.assigned
    assert "channels.assigned" not in [e.action for e in system.audit_entries()]
