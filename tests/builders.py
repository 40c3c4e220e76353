"""Small builders shared by tests: a system on a temp store with a movable clock, volumes near a point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from factories import FixedClock

from deconfliction import Agreement, AltitudeBand, Circle, Deconfliction, Separation, TimeWindow, Volume4D
from deconfliction.store import SQLiteStore

Clock = FixedClock  # one movable clock for all tests


def make_system(tmp_path: Path, clock: Clock | None = None, **rules) -> tuple[Deconfliction, Clock]:
    clock = clock or Clock()
    system = Deconfliction(SQLiteStore(tmp_path / "test.db"), clock=clock)
    agreement = Agreement(
        id="pact",
        name="Test pact",
        parties=["blue", "red", "green"],
        separation=Separation(lateral_m=1852, vertical_m=150, time_buffer_s=300),
        min_lead_time_s=rules.pop("min_lead_time_s", 600),
        notice_ack_deadline_s=rules.pop("notice_ack_deadline_s", 900),
        escalation_contacts=rules.pop("escalation_contacts", ["ops@example.org"]),
        **rules,
    )
    system.add_agreement(agreement)
    return system, clock


def circle(clock: Clock, lon: float = 2.35, lat: float = 48.85, radius_m: float = 500, start_h: float = 1, hours: float = 1) -> Volume4D:
    return Volume4D(
        footprint=Circle(lon=lon, lat=lat, radius_m=radius_m),
        altitude=AltitudeBand(lower_m=0, upper_m=300, datum="W84"),
        time=TimeWindow(start=clock.now + timedelta(hours=start_h), end=clock.now + timedelta(hours=start_h + hours)),
    )
