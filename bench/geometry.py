"""Exact lateral distance between two polygons of n vertices each: the current method against the one
before issue 10, in the same run.

    .venv/bin/python bench/geometry.py                         # n = 10, 100, 1,000, 10,000; old up to 1,000
    .venv/bin/python bench/geometry.py --sizes 10,100 --old-max 100 --repeats 5

Pairs, 20 km across each (so 10,000 vertices are ~12 m apart), at 45° N:
- apart:    two rings 387 m apart (the issue's figure);
- crossing: a plus sign of two bars 40 km × 400 m, vertices spread along their long sides, none inside
            the other bar (the issue's missed case: the old method reports kilometres apart);
- nested:   a ring inside another, 3 km from its boundary.

The input shapes are built before timing and frozen out of the garbage collector's sight (gc.freeze):
a collection over them would otherwise land inside a random timed call. "cold" clears the preparation cache before each call (a shape seen for the first time: densify,
project, build its STRtree); "warm" is the same call again (a stored shape checked against a new one
keeps its preparation). The old method is loaded from git history (commit OLD_COMMIT) at run time,
so no old code lives in src. Each cell is the median (and the best) of --repeats calls; the distance
found is printed so a wrong answer shows.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pyproj import Geod
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from deconfliction.geometry import Polygon, lateral_distance  # noqa: E402
from deconfliction.geometry.footprint import forget_prepared  # noqa: E402

OLD_COMMIT = "b05168d"  # main before issue 10
OLD_FILES = ("earth.py", "footprint.py", "distance.py", "volume.py")
GEOD = Geod(ellps="WGS84")
CENTRE = (7.0, 45.0)
SIZE_M = 20_000.0


def load_old_method():
    """lateral_distance and prepare of the method before issue 10, from git, as a throwaway package."""
    folder = Path(tempfile.mkdtemp(prefix="old_geometry_"))
    package = folder / "old_geometry"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in OLD_FILES:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:src/deconfliction/geometry/{name}"], check=True, capture_output=True, text=True).stdout
        (package / name).write_text(source)
    sys.path.insert(0, str(folder))
    distance = importlib.import_module("old_geometry.distance")
    footprint = importlib.import_module("old_geometry.footprint")
    return distance.lateral_distance, footprint.prepare


def ring(lon, lat, radius_m, n):
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), azimuths, np.full(n, radius_m))
    return Polygon(vertices=tuple(zip(lons.tolist(), lats.tolist())))


def bar(lon, lat, length_m, width_m, azimuth, n):
    """A rectangle along `azimuth` with n vertices: the extra ones spread along its long sides, but none
    within 5 km of its middle, so that two bars crossing there have no vertex inside each other."""
    per_half = max(1, (n // 2) // 2)
    along = np.concatenate([np.linspace(-length_m / 2, -5_000.0, per_half), np.linspace(5_000.0, length_m / 2, per_half)])
    half = width_m / 2
    points = [(x, -half) for x in along] + [(x, half) for x in along[::-1]]
    x, y = np.array(points).T
    bearings = azimuth + np.degrees(np.arctan2(y, x))  # x along the bar, y to its right
    lons, lats, _ = GEOD.fwd(np.full(len(x), lon), np.full(len(x), lat), bearings, np.hypot(x, y))
    return Polygon(vertices=tuple(zip(lons.tolist(), lats.tolist())))


def pairs(n):
    radius = SIZE_M / 2
    east_lon, east_lat, _ = GEOD.fwd(*CENTRE, 90.0, 2 * radius + 387.0)
    return {
        "apart": (ring(*CENTRE, radius, n), ring(float(east_lon), float(east_lat), radius, n)),
        "crossing": (bar(*CENTRE, 2 * SIZE_M, 400.0, 0.0, n), bar(*CENTRE, 2 * SIZE_M, 400.0, 90.0, n)),
        "nested": (ring(*CENTRE, radius, n), ring(*CENTRE, radius - 3_000.0, n)),
    }


def timed(call, clear, repeats, cpu=None):
    """(median, best) wall time of `repeats` calls, and the last result; the calls' CPU times
    (time.process_time) are appended to `cpu` when given (on a shared machine, the steadier figure)."""
    times, result = [], None
    for _ in range(repeats):
        if clear is not None:
            clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return (statistics.median(times), min(times)), result


def milliseconds(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.1f} s"


def median_best(times):
    """'median (best)': on a shared machine the best of the repeats is the least disturbed figure."""
    median, best = times
    return f"{milliseconds(median)} ({milliseconds(best)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--old-max", type=int, default=1000, help="largest n to run the old method on (it is quadratic)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    old_distance, old_prepare = load_old_method()
    console = Console(width=140)
    table = Table(title="Lateral distance of two n-vertex polygons: median (best) of repeats, one core")
    console.print(f"Load average (1 / 5 / 15 min) at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for column in ("n", "pair", "new cold", "new cold CPU", "new warm", "new distance", "old cold", "old distance", "old / new cold"):
        table.add_column(column, justify="right")
    for n in (int(s) for s in args.sizes.split(",")):
        shapes = pairs(n)
        # The inputs are long-lived: moved out of the collector's sight, so that a full collection over
        # them (tens of thousands of vertex tuples) does not land inside a timed call at random.
        gc.collect()
        gc.freeze()
        for name, (a, b) in shapes.items():
            cold_cpu: list[float] = []
            cold, found = timed(lambda: lateral_distance(a, b), forget_prepared, args.repeats, cold_cpu)
            warm, _ = timed(lambda: lateral_distance(a, b), None, args.repeats)
            row = [f"{n:,}", name, median_best(cold), median_best((statistics.median(cold_cpu), min(cold_cpu))), median_best(warm),
                   f"{found.metres:,.3f} m"]
            if n <= args.old_max:
                repeats = 1 if n >= 1000 else args.repeats
                old_cold, old_found = timed(lambda: old_distance(a, b), old_prepare.cache_clear, repeats)
                row += [median_best(old_cold), f"{old_found.metres:,.3f} m", f"{old_cold[0] / cold[0]:,.0f}×"]
            else:
                row += ["—", "—", "—"]
            table.add_row(*row)
            console.print(f"n={n} {name}: done", style="dim")
    console.print(table)
    console.print(f"Load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}. 'cold CPU': time.process_time of the cold calls.")


if __name__ == "__main__":
    main()
