"""Assigning pool channels by graph colouring (deconfliction.rules.channel_assignment): properties of the
colouring itself, then of the whole system after random filings and cancellations, checked against an
independent recomputation of clusters and neighbours."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconfliction.models.agreements import ChannelAssignment
from deconfliction.rules.channel_assignment import colour
from deconfliction.service import Deconfliction
from deconfliction.store import SQLiteStore

from factories import FixedClock, circle_volume, example_agreement

GEOD = Geod(ellps="WGS84")


@st.composite
def graphs(draw, max_nodes: int = 14):
    count = draw(st.integers(0, max_nodes))
    pairs = [(a, b) for a in range(count) for b in range(a + 1, count)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    return count, edges


def max_degree(count, edges) -> int:
    degree = [0] * count
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    return max(degree, default=0)


def pool_of(size: int) -> list[str]:
    return [f"ch{k}" for k in range(size)]


def clashes(channels, edges) -> set[int]:
    return {i for a, b in edges if channels[a] == channels[b] for i in (a, b)}


@given(graphs(), st.integers(0, 3))
def test_property_with_more_channels_than_any_cluster_has_neighbours_no_neighbours_share(graph, spare):
    count, edges = graph
    result = colour(count, edges, pool_of(max_degree(count, edges) + 1 + spare))
    assert clashes(result.channels, edges) == set()
    assert result.exhausted == set()


@given(graphs(), st.integers(1, 4), st.data())
def test_property_whatever_the_pool_exactly_the_clusters_sharing_with_a_neighbour_are_flagged(graph, size, data):
    count, edges = graph
    pool = pool_of(size)
    previous = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(pool + ["retired"])), min_size=count, max_size=count))
    result = colour(count, edges, pool, previous)
    assert len(result.channels) == count and set(result.channels) <= set(pool)
    assert result.exhausted == clashes(result.channels, edges)


@given(graphs(), st.integers(0, 2), st.data())
def test_property_a_valid_previous_assignment_is_kept_as_it_is(graph, spare, data):
    count, edges = graph
    pool = pool_of(max_degree(count, edges) + 1 + spare)
    first = colour(count, edges, pool)
    # Shuffle the pool's order: a kept assignment does not depend on it.
    shuffled = data.draw(st.permutations(pool))
    assert colour(count, edges, shuffled, first.channels).channels == first.channels


@given(graphs(), st.integers(1, 5))
def test_property_the_colouring_is_deterministic(graph, size):
    count, edges = graph
    a = colour(count, edges, pool_of(size))
    b = colour(count, list(reversed(edges)), pool_of(size))
    assert a.channels == b.channels and a.exhausted == b.exhausted


def test_kept_channels_give_way_to_older_neighbours_that_keep_theirs():
    # 0 and 1 are neighbours and both had "ch0": the older (0) keeps it, 1 takes the next free one.
    result = colour(2, [(0, 1)], pool_of(2), ["ch0", "ch0"])
    assert result.channels == ["ch0", "ch1"]


def test_dsatur_colours_an_odd_cycle_with_three_channels_and_a_bipartite_graph_with_two():
    cycle = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]
    assert colour(5, cycle, pool_of(3)).exhausted == set()
    square = [(0, 1), (1, 2), (2, 3), (3, 0)]
    result = colour(4, square, pool_of(2))
    assert result.exhausted == set() and len(set(result.channels)) == 2


def test_an_empty_pool_is_refused():
    try:
        colour(1, [], [])
    except ValueError as exc:
        assert "empty" in str(exc)
    else:
        raise AssertionError("an empty pool was accepted")


# The whole system ----------------------------------------------------------------------------------
CENTRE = (7.0, 46.0)
NEIGHBOUR_M = 15_000.0
RADIUS_M = 400.0


def _spot(x_km: float, y_km: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(*CENTRE, 90.0, x_km * 1000)
    lon, lat, _ = GEOD.fwd(lon, lat, 0.0, y_km * 1000)
    return float(lon), float(lat)


PAIRS = [("blue", "red"), ("red", "green"), ("green", "blue")]
operations = st.lists(
    st.tuples(
        st.sampled_from(PAIRS),  # two parties file at one spot: a cluster (or part of one)
        st.integers(0, 5),  # spots 7 km apart along a line: some coincide, near ones are neighbours
        st.sampled_from([1.0, 1.0, 4.0]),  # start hour: most at once, some later
        st.sampled_from([False, False, False, True]),  # the second notice is cancelled again afterwards
    ),
    min_size=1, max_size=10,
)


def _independent_view(system, agreement_id):
    """Clusters (by union-find over open conflicts) and neighbour pairs (geodesic distance between the
    circles' edges < NEIGHBOUR_M while their windows overlap, the 5 min buffer included), from scratch."""
    conflicts = system.conflicts(None, agreement_id=agreement_id, limit=10_000)
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for c in conflicts:
        parent[root(c.notice_a)] = root(c.notice_b)
    notices = {}
    with system.store.transaction(write=False) as tx:
        for notice_id in list(parent):
            notices[notice_id] = tx.get_notice(notice_id)
    clusters: dict[str, list] = {}
    for c in conflicts:
        clusters.setdefault(root(c.notice_a), []).append(c)
    members = {r: [n for n in notices if root(n) == r] for r in clusters}
    roots = sorted(clusters)

    def near(a, b) -> bool:
        for va in notices[a].volumes:
            for vb in notices[b].volumes:
                _, _, d = GEOD.inv(va.footprint.lon, va.footprint.lat, vb.footprint.lon, vb.footprint.lat)
                apart = d - va.footprint.radius_m - vb.footprint.radius_m
                overlap = min(va.time.end, vb.time.end) - max(va.time.start, vb.time.start) > -timedelta(minutes=5)
                if apart < NEIGHBOUR_M and overlap:
                    return True
        return False

    edges = {(x, y) for i, x in enumerate(roots) for y in roots[i + 1 :] if any(near(a, b) for a in members[x] for b in members[y])}
    return clusters, edges


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations, st.integers(1, 4))
def test_property_after_any_filings_and_cancellations_clusters_share_one_channel_and_neighbours_differ_if_the_pool_allows(
    tmp_path_factory, ops, pool_size
):
    clock = FixedClock()
    system = Deconfliction(SQLiteStore(tmp_path_factory.mktemp("pool") / "p.db"), clock=clock)
    pool = [f"{118 + k}.000 MHz" for k in range(pool_size)]
    try:
        system.add_agreement(example_agreement(id="pooled", channels=[], channel_assignment=ChannelAssignment(pool=pool, neighbour_distance_m=NEIGHBOUR_M)))
        filed = []
        for parties, x, start_h, cancel in ops:
            lon, lat = _spot(7.0 * x, 0.0)
            for party in parties:
                volume = circle_volume(clock.now, lon=lon, lat=lat, radius_m=RADIUS_M, start_h=start_h)
                key = [f.notice.version for f in system.check(party, "pooled", [volume])]
                filed.append((party, system.file_notice(party, "pooled", [volume], key=key).notice.id, cancel and party == parties[1]))
                clock.advance(seconds=30)
        for party, notice_id, cancel in filed:
            if cancel:
                system.cancel_notice(party, notice_id)
                clock.advance(seconds=30)
        clusters, edges = _independent_view(system, "pooled")
        channel_of = {}
        for r, conflicts in clusters.items():
            names = {c.channel.name for c in conflicts}
            assert len(names) == 1, "one cluster, one channel"
            assert all(c.channel.assigned and c.channel.name in pool for c in conflicts)
            channel_of[r] = names.pop()
        degree = {r: sum(r in e for e in edges) for r in clusters}
        sharing = {r for e in edges if channel_of[e[0]] == channel_of[e[1]] for r in e}
        if pool_size > max(degree.values(), default=0):
            assert sharing == set(), "neighbouring clusters share a channel although the pool is big enough"
        flagged = {r for r, conflicts in clusters.items() if any(c.channel.pool_exhausted for c in conflicts)}
        assert flagged == sharing, "exactly the clusters that share a channel with a neighbour say so"
    finally:
        system.close()
