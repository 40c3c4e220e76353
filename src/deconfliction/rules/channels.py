"""Which channel applies where and when: the agreement's channels and, where the agreement has a pool,
the channels assigned to clusters of conflicting notices (channel_assignment.py).

The rule, used alike for conflicts (at the place and time their volumes come closest), tactical alerts
(at the place and time of closest approach, or the aircraft's position) and the channel plan:

1. a pool channel assigned to a cluster one of whose notices' volumes covers the place at that time
   (the oldest cluster first);
2. else the first agreement channel with an area covering the place, in effect at that time;
3. else the first agreement channel without an area in effect at that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..models.agreements import Agreement, Channel
from .channel_assignment import clusters_of
from ..geometry import AltitudeBand, Circle, Footprint, Minima, TimeWindow, Volume4D, contains_lon_lat, volume_conflict
from ..models import ChannelRef

if TYPE_CHECKING:
    from ..store import Transaction

TOUCHING = Minima(lateral_m=1e-3, vertical_m=0.0, time_buffer_s=0.0)
EVERY_ALTITUDE = AltitudeBand(lower_m=-1_000.0, upper_m=100_000.0, datum="W84")
EVERY_TIME = TimeWindow(start=datetime(1970, 1, 1, tzinfo=timezone.utc), end=datetime(9999, 1, 1, tzinfo=timezone.utc))


class PlanItem(BaseModel):
    """One entry of a channel plan. `area` is GeoJSON-like: a Polygon, a Point with `radius_m` (a circle),
    a GeometryCollection of those (an assigned channel covers its cluster's footprints), or null
    (everywhere). `start`/`end` null: no limit."""

    name: str
    contact: str
    area: dict[str, Any] | None = None
    start: datetime | None = None
    end: datetime | None = None
    source: str = Field(default="agreement", description="'agreement' (one of its channels) or 'assigned' (from its pool, to a cluster)")
    notices: list[str] = Field(default_factory=list, description="assigned: the cluster's notices")
    pool_exhausted: bool = False


@dataclass(frozen=True)
class AssignedArea:
    """A pool channel and the volumes of the cluster it is assigned to."""

    channel: ChannelRef
    volumes: tuple[Volume4D, ...]
    notices: tuple[str, ...]

    def covers(self, lon: float, lat: float, when: datetime | None) -> bool:
        return any(
            (when is None or v.time.start <= when < v.time.end) and contains_lon_lat(v.footprint, lon, lat) for v in self.volumes
        )


def assigned_areas(tx: Transaction, agreement: Agreement) -> list[AssignedArea]:
    """The pool channels in use, oldest cluster first (none without a pool)."""
    if agreement.channel_assignment is None:
        return []
    found = []
    for cluster in clusters_of(tx, agreement.id):
        channel = cluster.conflicts[0].channel
        if channel is not None and channel.assigned:
            found.append(AssignedArea(channel, tuple(v for n in cluster.notices for v in n.volumes), tuple(n.id for n in cluster.notices)))
    return found


def choose(agreement: Agreement, assigned: list[AssignedArea], lon: float, lat: float, when: datetime | None) -> ChannelRef | None:
    """The channel that applies at a place and time (see the module's rule)."""
    for area in assigned:
        if area.covers(lon, lat, when):
            return area.channel
    channel = agreement.channel_at(lon, lat, when)
    return ChannelRef(name=channel.name, contact=channel.contact) if channel is not None else None


def contact_of(agreement: Agreement, name: str) -> str | None:
    """The contact of a channel named in an alert: an agreement channel or a pool channel."""
    pool = agreement.channel_assignment.pool if agreement.channel_assignment is not None else []
    return next((c.contact for c in [*agreement.channels, *pool] if c.name == name), None)


def footprint_geojson(footprint: Footprint) -> dict[str, Any]:
    if isinstance(footprint, Circle):
        return {"type": "Point", "coordinates": [footprint.lon, footprint.lat], "radius_m": footprint.radius_m}
    ring = [list(p) for p in footprint.vertices]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def _in_effect(channel: Channel, window: TimeWindow | None, at: datetime | None) -> bool:
    if at is not None and ((channel.start and at < channel.start) or (channel.end and at >= channel.end)):
        return False
    if window is not None and ((channel.start and window.end <= channel.start) or (channel.end and window.start >= channel.end)):
        return False
    return True


def _reaches(channel_area: Footprint | None, area: Volume4D | None) -> bool:
    if channel_area is None or area is None:
        return True
    probe = Volume4D(footprint=channel_area, altitude=EVERY_ALTITUDE, time=area.time)
    return volume_conflict(probe, area, TOUCHING) is not None


def as_volume(area: Volume4D | Footprint | None) -> Volume4D | None:
    """A footprint alone stands for that place at every altitude and time."""
    if area is None or isinstance(area, Volume4D):
        return area
    return Volume4D(footprint=area, altitude=EVERY_ALTITUDE, time=EVERY_TIME)


def plan(
    tx: Transaction,
    agreement: Agreement,
    *,
    area: Volume4D | Footprint | None = None,
    at: datetime | None = None,
    point: tuple[float, float] | None = None,
) -> list[PlanItem]:
    """The channel plan: the agreement's channels and the assigned ones that reach into `area` (all
    without), in effect at `at` (any time without). With `point` (lon, lat): only the channels that
    apply there, the one that applies first (the one a conflict or alert there would name)."""
    volume = as_volume(area)
    window = volume.time if volume is not None and volume.time != EVERY_TIME else None
    assigned = assigned_areas(tx, agreement)
    items: list[PlanItem] = []
    for area_ in assigned:
        if at is not None and not any(v.time.start <= at < v.time.end for v in area_.volumes):
            continue
        if volume is not None and not any(volume_conflict(v, volume, Minima(1e-3, 1e6, 0.0)) for v in area_.volumes):
            continue
        if point is not None and not area_.covers(point[0], point[1], at):
            continue
        items.append(PlanItem(
            name=area_.channel.name, contact=area_.channel.contact,
            area={"type": "GeometryCollection", "geometries": [footprint_geojson(v.footprint) for v in area_.volumes]},
            start=min(v.time.start for v in area_.volumes), end=max(v.time.end for v in area_.volumes),
            source="assigned", notices=list(area_.notices), pool_exhausted=area_.channel.pool_exhausted,
        ))
    for channel in agreement.channels:
        if not _in_effect(channel, window, at) or not _reaches(channel.area, volume):
            continue
        if point is not None and not channel.applies(point[0], point[1], at):
            continue
        items.append(PlanItem(
            name=channel.name, contact=channel.contact, area=footprint_geojson(channel.area) if channel.area else None,
            start=channel.start, end=channel.end,
        ))
    if point is not None:
        # The order of the rule: assigned first (already), then channels with an area, then without.
        items.sort(key=lambda item: (item.source != "assigned", item.area is None))
    return items
