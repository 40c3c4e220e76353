"""A congested city for the server benchmarks: every notice inside one 20 km box, over one day.

Notices are small circles (150–600 m) or quadrilaterals around random points of a 20 km × 20 km box
centred on Paris, 0–120 m or 90–300 m above the ellipsoid, 15–60 min long, starting anywhere in the
24 h from two hours ahead. With minima 500 m / 50 m / 120 s a new notice conflicts with about one or
two of every thousand stored: realistic congestion, not all-against-all.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from deconfliction import Agreement, AltitudeBand, Circle, Polygon, Separation, TimeWindow, Volume4D
from deconfliction.errors import MissingKey

CENTRE = (2.3522, 48.8566)
HALF_BOX_M = 10_000.0
M_PER_DEG_LAT = 111_320.0


def agreement(parties: list[str], agreement_id: str = "city") -> Agreement:
    return Agreement(
        id=agreement_id,
        name="Congested city",
        parties=parties,
        separation=Separation(lateral_m=500, vertical_m=50, time_buffer_s=120),
        min_lead_time_s=600,
        conflict_policy="notify",
        notice_ack_deadline_s=3600,
        planning_horizon_s=3 * 86400,
    )


def _offset(dx_m: float, dy_m: float) -> tuple[float, float]:
    lon0, lat0 = CENTRE
    return lon0 + dx_m / (M_PER_DEG_LAT * math.cos(math.radians(lat0))), lat0 + dy_m / M_PER_DEG_LAT


def volume(rng: random.Random, day_start: datetime) -> dict:
    """One Volume4D as the JSON the API takes (and the library validates)."""
    x, y = rng.uniform(-HALF_BOX_M, HALF_BOX_M), rng.uniform(-HALF_BOX_M, HALF_BOX_M)
    size = rng.uniform(150, 600)
    if rng.random() < 0.7:
        lon, lat = _offset(x, y)
        footprint = {"kind": "circle", "lon": round(lon, 6), "lat": round(lat, 6), "radius_m": round(size, 1)}
    else:
        turn = rng.uniform(0, math.pi / 2)
        corners = []
        for k in range(4):
            a = turn + k * math.pi / 2
            lon, lat = _offset(x + size * math.cos(a), y + size * math.sin(a))
            corners.append([round(lon, 6), round(lat, 6)])
        footprint = {"kind": "polygon", "vertices": corners}
    lower, upper = rng.choice([(0, 120), (0, 120), (90, 300)])
    start = day_start + timedelta(seconds=rng.uniform(0, 86_400))
    end = start + timedelta(minutes=rng.uniform(15, 60))
    return {
        "footprint": footprint,
        "altitude": {"lower_m": lower, "upper_m": upper, "datum": "W84"},
        "time": {"start": start.isoformat(), "end": end.isoformat()},
    }


def volumes(count: int, seed: int, day_start: datetime) -> list[dict]:
    rng = random.Random(seed)
    return [volume(rng, day_start) for _ in range(count)]


def day_start(now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    return (now + timedelta(hours=2)).replace(microsecond=0)


def as_volume(data: dict) -> Volume4D:
    return Volume4D.model_validate(data)


@dataclass
class Result:
    accepted: int
    refusals: int
    latencies: list[float]  # seconds per accepted filing, refusals and retries included
    seconds: float
    conflicts: int = 0


def file_in_process(system, party: str, agreement_id: str, data: list[dict]) -> Result:
    """The baseline: the same filings through the library facade, optimistic key (retry with `missing`)."""
    latencies, refusals, conflicts = [], 0, 0
    begun = time.perf_counter()
    for item in data:
        vols = [as_volume(item)]
        key: list[str] = []
        started = time.perf_counter()
        for _ in range(20):
            try:
                filing = system.file_notice(party, agreement_id, vols, key=key)
                conflicts += len(filing.conflicts)
                break
            except MissingKey as refused:
                refusals += 1
                key = key + [n["version"] for n in refused.details["missing"]]
        latencies.append(time.perf_counter() - started)
    return Result(len(latencies), refusals, latencies, time.perf_counter() - begun, conflicts)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]
