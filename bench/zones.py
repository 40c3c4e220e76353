"""Zone check cost: a filing's p50 with 0 to 3,000 zones in its agreement (random 5 km circles over
Europe, 0-120 m AGL; notices are 500 m circles over the same area). SQLite, one core.

    .venv/bin/python bench/zones.py

The store keeps each zone's longitude/latitude box and hands a filing only the zones whose boxes meet
its volumes'; the 0-zone row is the baseline of the same run (its p50 is mostly the commit's fsync).
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deconfliction import AltitudeBand, Agreement, Circle, Separation, TimeWindow, Volume4D, connect  # noqa: E402
from deconfliction.models.zones import VerticalLimit, Zone  # noqa: E402


def main() -> None:
    folder = tempfile.mkdtemp()
    system = connect(os.path.join(folder, "zones.db"))
    system.add_agreement(Agreement(id="pact", name="Bench", parties=["blue"], min_lead_time_s=0,
                                   separation=Separation(lateral_m=100.0, vertical_m=30.0, time_buffer_s=0.0)))
    rng = random.Random(1)
    now = system.clock()
    print(f"{'zones':>6} {'file p50':>10} {'file p90':>10}")
    filed = 0
    for n in (0, 100, 1000, 3000):
        zones = [Zone(id=f"z{i}", agreement_id="pact", name=f"z{i}", restriction="authorisation_required",
                      footprint=Circle(lon=rng.uniform(-10, 30), lat=rng.uniform(35, 65), radius_m=5000),
                      lower=VerticalLimit(reference="SFC"), upper=VerticalLimit(reference="AGL", value_m=120)) for i in range(n)]
        system.save_zones("admin", "pact", zones, replace=True)
        times = []
        for _ in range(40):
            start = now + timedelta(hours=2, minutes=filed * 10)
            filed += 1
            volume = Volume4D(footprint=Circle(lon=rng.uniform(-10, 30), lat=rng.uniform(35, 65), radius_m=500),
                              altitude=AltitudeBand(lower_m=0, upper_m=100, datum="W84"),
                              time=TimeWindow(start=start, end=start + timedelta(minutes=5)))
            began = time.perf_counter()
            system.file_notice("blue", "pact", [volume])
            times.append(time.perf_counter() - began)
        times.sort()
        print(f"{n:>6} {statistics.median(times) * 1000:>8.1f} ms {times[int(0.9 * len(times))] * 1000:>8.1f} ms")


if __name__ == "__main__":
    main()
