"""What the one rule for JSON bodies costs (api/bodies.py): strict UTF-8, no duplicate keys, at most
64 levels, against a plain `json.loads` of the same bytes in the same run (the baseline; FastAPI
parses each body once more after the check).

    .venv/bin/python bench/body_rules.py

Bodies: a filing of one circle volume (what `POST /v1/notices` usually gets), a filing of a
1,000-vertex polygon, and 4,500 track reports (about 1 MiB, the largest body the server reads).
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta, timezone

from deconfliction.api import bodies


def filing_circle() -> bytes:
    start = datetime(2030, 6, 1, 9, tzinfo=timezone.utc)
    return json.dumps({"agreement_id": "city", "key": [], "volumes": [{
        "footprint": {"kind": "circle", "lon": 2.35, "lat": 48.85, "radius_m": 500},
        "altitude": {"lower_m": 0, "upper_m": 300, "datum": "W84"},
        "time": {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}}]}).encode()


def filing_polygon(vertices: int = 1000) -> bytes:
    import math

    ring = [[2.35 + 0.05 * math.cos(2 * math.pi * i / vertices), 48.85 + 0.03 * math.sin(2 * math.pi * i / vertices)] for i in range(vertices)]
    return json.dumps({"agreement_id": "city", "volumes": [{
        "footprint": {"kind": "polygon", "vertices": ring},
        "altitude": {"lower_m": 0, "upper_m": 300, "datum": "W84"},
        "time": {"start": "2030-06-01T09:00:00Z", "end": "2030-06-01T10:00:00Z"}}]}).encode()


def tracks(count: int = 4_500) -> bytes:
    return json.dumps({"reports": [
        {"aircraft": f"a{i}", "time": 1780300800.0 + i, "lat": 48.85, "lon": 2.35, "altitude_m": 3000.0, "datum": "AMSL",
         "ground_speed_ms": 120.0, "track_deg": 90.0, "vertical_rate_ms": 0.0, "callsign": f"CS{i}", "notice_id": None}
        for i in range(count)]}).encode()


def timed(fn, body: bytes, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(body)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    cases = [("filing, one circle", filing_circle(), 5000), ("filing, 1,000-vertex polygon", filing_polygon(), 300),
             ("tracks, 4,500 reports (~1 MiB)", tracks(), 30)]
    print(f"{'body':<30} {'bytes':>10} {'json.loads':>12} {'bodies.parse':>13} {'added':>10}")
    for name, body, rounds in cases:
        plain = timed(json.loads, body, rounds)
        checked = timed(bodies.parse, body, rounds)
        print(f"{name:<30} {len(body):>10,} {plain * 1e3:>10.3f}ms {checked * 1e3:>11.3f}ms {(checked - plain) * 1e3:>8.3f}ms")


if __name__ == "__main__":
    main()
