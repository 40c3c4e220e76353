"""The SQLite R*Tree index never loses a conflict: random notices filed through the service, then for
a random new volume, the index's candidates and find_conflicts against a brute-force exact check of
every stored notice."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconfliction import Agreement, Deconfliction, Separation
from deconfliction.rules.conflicts import find_conflicts
from deconfliction.geometry import Circle, Polygon, volume_conflict
from deconfliction.models import LIVE_STATES
from deconfliction.store import SQLiteStore

from factories import FixedClock, footprint_volume
from strategies import minima as minima_strategy
from strategies import spots, volumes

PARTIES = ["p0", "p1", "p2", "probe"]


def open_system(folder: str, minima) -> tuple[Deconfliction, Agreement]:
    agreement = Agreement(
        id="pact",
        name="Property pact",
        parties=PARTIES,
        separation=Separation(lateral_m=minima.lateral_m, vertical_m=minima.vertical_m, time_buffer_s=minima.time_buffer_s),
        min_lead_time_s=0,
        planning_horizon_s=30 * 86400,
        max_area_km2=1e7,
    )
    system = Deconfliction(SQLiteStore(Path(folder) / "index.db"), clock=FixedClock())
    system.add_agreement(agreement)
    return system, agreement


def file_all(system: Deconfliction, stored: list[tuple[int, list, bool]]) -> None:
    """File each notice presenting every live version (a fully aware party); cancel some afterwards."""
    for owner, volumes_, cancel in stored:
        with system.store.transaction(write=False) as tx:
            key = [n.version for n in tx.find_notices(agreement_id="pact", limit=10_000)]
        filing = system.file_notice(PARTIES[owner], "pact", volumes_, key=key)
        if cancel:
            system.cancel_notice(PARTIES[owner], filing.notice.id)


def check_nothing_lost(system: Deconfliction, agreement: Agreement, probe: list) -> set[str]:
    minima = agreement.separation.minima()
    with system.store.transaction(write=False) as tx:
        everything = tx.find_notices(agreement_id="pact", limit=10_000)
        truth = {
            n.id
            for n in everything
            if n.is_live and any(volume_conflict(mine, theirs, minima) for mine in probe for theirs in n.volumes)
        }
        candidates = tx.candidate_notices("pact", probe, minima, LIVE_STATES)
        found = {f.notice.id for f in find_conflicts(tx, agreement, "probe", probe)}
    candidate_ids = {n.id for n in candidates}
    assert truth <= candidate_ids, f"the index lost {truth - candidate_ids}"
    assert all(n.is_live and n.agreement_id == "pact" for n in candidates)
    assert found == truth
    return truth


@st.composite
def scenarios(draw):
    spot = draw(spots)
    stored = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.lists(volumes(near=spot), min_size=1, max_size=2), st.sampled_from([False, False, False, True])),
            min_size=1,
            max_size=8,
        )
    )
    probe = draw(st.lists(volumes(near=spot), min_size=1, max_size=2))
    return draw(minima_strategy), stored, probe


def test_the_index_never_loses_a_conflict_the_exact_check_finds():
    outcomes: list[int] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(scenario=scenarios())
    def run(scenario):
        minima, stored, probe = scenario
        with tempfile.TemporaryDirectory() as folder:
            system, agreement = open_system(folder, minima)
            try:
                file_all(system, stored)
                outcomes.append(len(check_nothing_lost(system, agreement, probe)))
            finally:
                system.close()

    run()
    # The scenarios must exercise the claim: some probes do meet stored notices.
    assert sum(1 for n in outcomes if n > 0) >= 5, outcomes


def test_the_index_finds_conflicts_at_the_pole_and_across_the_antimeridian(tmp_path):
    from deconfliction.geometry import Minima

    system, agreement = open_system(str(tmp_path), Minima(1.0, 0.0, 0.0))
    try:
        stored = [
            (0, [footprint_volume(Polygon(vertices=((22.5, 89.885), (-22.5, 89.885), (0.0, 89.80))))], False),
            (1, [footprint_volume(Polygon(vertices=((179.9, 0.0), (-179.9, 0.0), (-179.9, 0.1), (179.9, 0.1))))], False),
            (2, [footprint_volume(Circle(lon=0.0, lat=-90.0, radius_m=5_000))], False),
        ]
        file_all(system, stored)
        for probe, expected in (
            (Circle(lon=0.0, lat=89.893, radius_m=10.0), 1),  # just inside an edge that bulges poleward
            (Circle(lon=-179.95, lat=0.05, radius_m=10.0), 1),
            (Circle(lon=180.0, lat=0.05, radius_m=10.0), 1),
            (Circle(lon=137.0, lat=-89.97, radius_m=10.0), 1),
            (Circle(lon=0.0, lat=0.05, radius_m=10.0), 0),
        ):
            assert len(check_nothing_lost(system, agreement, [footprint_volume(probe)])) == expected, probe
    finally:
        system.close()


def test_the_index_keeps_altitudes_too_small_for_float32(tmp_path):
    """SQLite's R*Tree stores float32 bounds and rounds a bound that underflows float32 (here
    4.97e-160 m, found by hypothesis) to zero, inward: a probe whose band starts just above zero
    then missed a stored band ending there."""
    from deconfliction.geometry import Minima

    tiny = 4.9658540308654035e-160
    system, agreement = open_system(str(tmp_path), Minima(1.0, 0.0, 0.0))
    try:
        file_all(system, [(0, [footprint_volume(Circle(lon=0.0, lat=0.0, radius_m=1.0), lower_m=0.0, upper_m=tiny)], False)])
        probe = [footprint_volume(Circle(lon=0.0, lat=0.0, radius_m=1.0), lower_m=tiny, upper_m=tiny)]
        with system.store.transaction(write=False) as tx:
            candidates = tx.candidate_notices("pact", probe, agreement.separation.minima(), LIVE_STATES)
        assert len(candidates) == 1
    finally:
        system.close()
