"""Plain helpers for the core tests: a fixed clock, volumes near a point, and a raw look into a store file.

Fixtures in conftest.py wrap these; geometry tests import them directly.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pyproj import Geod

from deconfliction import Agreement, AltitudeBand, Channel, Circle, Polygon, Separation, TimeWindow, Volume4D

GEOD = Geod(ellps="WGS84")
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)

# Every table a write may touch: a refused write must leave each of them exactly as it was.
TABLES = ("agreements", "parties", "memberships", "notices", "notice_boxes", "conflicts", "events", "deadlines", "deliveries", "audit")


@dataclass
class FixedClock:
    """A clock that stands still until a test moves it."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def example_agreement(**overrides) -> Agreement:
    """Three parties, 1 NM / 150 m / 5 min minima, 10 min lead time, a channel over Paris and a fallback."""
    fields = dict(
        id="pact",
        name="Test pact",
        parties=["blue", "red", "green"],
        separation=Separation(lateral_m=1852.0, vertical_m=150.0, time_buffer_s=300.0),
        min_lead_time_s=600.0,
        planning_horizon_s=7 * 86400.0,
        channels=[
            Channel(name="guard", contact="121.500 MHz"),
            Channel(name="paris", contact="tel:+33-1-0000", area=Circle(lon=2.35, lat=48.85, radius_m=50_000)),
        ],
    )
    fields.update(overrides)
    return Agreement(**fields)


def window(now: datetime, start_h: float = 1.0, hours: float = 1.0) -> TimeWindow:
    return TimeWindow(start=now + timedelta(hours=start_h), end=now + timedelta(hours=start_h + hours))


def circle_volume(
    now: datetime,
    lon: float = 2.35,
    lat: float = 48.85,
    radius_m: float = 500.0,
    start_h: float = 1.0,
    hours: float = 1.0,
    lower_m: float = 0.0,
    upper_m: float = 300.0,
    datum: str = "W84",
) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=lon, lat=lat, radius_m=radius_m),
        altitude=AltitudeBand(lower_m=lower_m, upper_m=upper_m, datum=datum),
        time=window(now, start_h, hours),
    )


def footprint_volume(footprint, now: datetime = T0, start_h: float = 1.0, hours: float = 1.0, lower_m: float = 0.0, upper_m: float = 300.0, datum: str = "W84") -> Volume4D:
    return Volume4D(footprint=footprint, altitude=AltitudeBand(lower_m=lower_m, upper_m=upper_m, datum=datum), time=window(now, start_h, hours))


def square(lon: float, lat: float, half_deg: float) -> Polygon:
    return Polygon(vertices=((lon - half_deg, lat - half_deg), (lon + half_deg, lat - half_deg), (lon + half_deg, lat + half_deg), (lon - half_deg, lat + half_deg)))


def snapshot(path: str | Path) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, per table, read straight from the file (not through our code)."""
    connection = sqlite3.connect(str(path))
    try:
        out = {}
        for table in TABLES:
            rows = connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out
    finally:
        connection.close()


def count(path: str | Path, table: str) -> int:
    connection = sqlite3.connect(str(path))
    try:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        connection.close()
