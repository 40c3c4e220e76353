"""An operational intent as the reference DSS sees it: the union of its volumes.

The reference DSS (interuss/dss) keeps one extent per intent — the union of its footprints, its lowest
lower and highest upper altitude, its earliest start and latest end — and decides which intents a
write must hold in its key, which a query returns and which subscriptions hear of a change from those
extents. The conformance suites are written against that, so the F3548 interface decides these
questions the same way, with our exact footprints instead of its S2 cells: each footprint is taken
over the intent's whole altitude range and time span ("stretched"), and two intents are relevant to
each other when a stretched volume of one comes within the agreement's minima of one of the other.
Conflicts between parties (notices.py) are still decided volume by volume; an intersection there is
always one here too, so a key that satisfies this check satisfies that one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from ..geometry import AltitudeBand, Minima, TimeWindow, Volume4D, footprint_covers, volume_conflict
from ..geometry.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from ..models.zones import Zone
from .config import F3548Config

# Index searches for extents look at every altitude and time: a stored intent's union may reach the
# request's altitude and time through volumes elsewhere (see `search_volumes`).
_ALL_ALTITUDES = AltitudeBand(lower_m=MIN_ALTITUDE_M, upper_m=MAX_ALTITUDE_M, datum="W84")
_ALL_TIME = TimeWindow(start=datetime(1970, 1, 1, tzinfo=timezone.utc), end=datetime(9999, 1, 1, tzinfo=timezone.utc))


def stretched(volumes: list[Volume4D]) -> list[Volume4D]:
    """Each footprint over the union's altitude range (per datum: bands in different datums are not
    merged) and time span."""
    start, end = min(v.time.start for v in volumes), max(v.time.end for v in volumes)
    window = TimeWindow(start=start, end=end)
    bands: dict[str, tuple[float, float]] = {}
    for v in volumes:
        low, high = bands.get(v.altitude.datum, (v.altitude.lower_m, v.altitude.upper_m))
        bands[v.altitude.datum] = (min(low, v.altitude.lower_m), max(high, v.altitude.upper_m))
    return [
        Volume4D(
            footprint=v.footprint,
            altitude=AltitudeBand(lower_m=bands[v.altitude.datum][0], upper_m=bands[v.altitude.datum][1], datum=v.altitude.datum),
            time=window,
        )
        for v in volumes
    ]


def search_volumes(volumes: list[Volume4D]) -> list[Volume4D]:
    """What to ask a 4-D index for to find every stored entity whose extent may meet these volumes'
    extent: their footprints at every altitude and time. The index keeps stored volumes one by one,
    so a narrower search would miss an intent that is low here and high elsewhere when the request
    is high here; `relevant` then decides."""
    return [Volume4D(footprint=v.footprint, altitude=_ALL_ALTITUDES, time=_ALL_TIME) for v in volumes]


def relevant(a: list[Volume4D], b: list[Volume4D], minima: Minima) -> bool:
    """Do the two extents (unions) come within the minima of each other?"""
    wide_a, wide_b = stretched(a), stretched(b)
    return any(volume_conflict(x, y, minima) for x in wide_a for y in wide_b)


def covers(outer: Iterable[Volume4D], inner: list[Volume4D], start_slack: timedelta = timedelta(0)) -> bool:
    """Does a subscription (`outer`) cover an intent's extent: every footprint of the intent inside
    one of the subscription's, its altitude range and time span inside that volume's? `start_slack`:
    how much later the subscription may start (the reference DSS allows 5 minutes when a
    subscription with dependent intents is changed)."""
    outer = list(outer)
    start, end = min(v.time.start for v in inner), max(v.time.end for v in inner)
    for v in stretched(inner):
        if not any(
            o.altitude.datum == v.altitude.datum
            and o.altitude.lower_m <= v.altitude.lower_m and v.altitude.upper_m <= o.altitude.upper_m
            and o.time.start - start_slack <= start and end <= o.time.end
            and footprint_covers(o.footprint, v.footprint)
            for o in outer
        ):
            return False
    return True


def live_part(volumes: list[Volume4D], now: datetime) -> list[Volume4D]:
    """The volumes that have not ended: the reference DSS accepts an intent whose union ends in the
    future even if some of its volumes are over; those can no longer meet anything, so they are not kept."""
    return [v for v in volumes if v.time.end > now]


def zone_volumes(zone: Zone, cfg: F3548Config, now: datetime) -> list[Volume4D]:
    """The zone as F3548 volumes: a constraint's own; an operator's zone's within the planning horizon."""
    if zone.extents:
        return list(zone.extents)
    return zone.volumes_during(TimeWindow(start=now, end=now + timedelta(days=cfg.constraint_horizon_days)))
