"""A zone, and how its published vertical limits become an exact altitude band.

Published limits come in several references, each handled explicitly:

- `SFC` (surface, GND): as a lower limit, the lowest land on Earth; as an upper limit, the highest.
- `AMSL`: metres above mean sea level (feet are converted at the edge, by the importer).
- `W84`: metres above the WGS84 ellipsoid.
- `FL`: a flight level, a pressure altitude: AMSL on the standard atmosphere (as for notices).
- `AGL`: above the ground. Without a terrain model the ground is not known, so the band is widened
  conservatively: a lower limit is read over the lowest terrain the zone may have, an upper limit
  over the highest (`terrain_m`, given at import; by default the Earth's extremes, −430 m at the
  Dead Sea shore and 8,849 m at Everest). A zone is therefore never smaller than published; with
  the default it may be much taller, so importers of low-level drone zones should pass the area's
  highest terrain (`--terrain-max`).
- `UNL` (unlimited): the top of the model's altitude range.

A band whose two limits are in different datums is put in AMSL, widened by the geoid's range.

A zone is also an F3548 constraint reference where that interface is on (one concept, not two): it
carries the reference's manager, numeric version and OVN. A zone created through /dss/v1 has no
published limits: its geometry is the constraint's own 4-D volumes (`extents`), and its restriction
is `conditional` (the conditions are with its manager, as the standard has them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..geometry import AltitudeBand, Footprint, TimeWindow, Volume4D
from ..geometry.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M

Restriction = Literal["prohibited", "authorisation_required", "conditional", "information"]
RESTRICTIONS: tuple[str, ...] = ("prohibited", "authorisation_required", "conditional", "information")
Reference = Literal["SFC", "AMSL", "AGL", "W84", "FL", "UNL"]

LOWEST_TERRAIN_M = -430.0  # Dead Sea shore
HIGHEST_TERRAIN_M = 8_849.0  # Everest
# The geoid's height above the WGS84 ellipsoid lies within these (EGM2008: about -106 m to +85 m).
GEOID_MIN_M, GEOID_MAX_M = -107.0, 86.0


class VerticalLimit(BaseModel):
    """One published limit: `value_m` metres above `reference` (0 for SFC and UNL), and the text
    it was published as (e.g. "FL65", "1500 ft AMSL", "120 m AGL") for people to read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: Reference
    value_m: float = 0.0
    text: str = ""

    @model_validator(mode="after")
    def _finite(self) -> "VerticalLimit":
        if self.value_m != self.value_m or abs(self.value_m) > MAX_ALTITUDE_M:
            raise ValueError(f"value_m {self.value_m} is not an altitude")
        return self

    def bound_m(self, *, upper: bool, terrain_m: tuple[float, float] | None) -> tuple[float, str]:
        """(metres, datum) that is never inside the published limit: the lowest the limit can be
        when it is a lower limit, the highest when it is an upper one."""
        low_ground, high_ground = terrain_m or (LOWEST_TERRAIN_M, HIGHEST_TERRAIN_M)
        if self.reference == "UNL":
            return MAX_ALTITUDE_M, "AMSL"
        if self.reference == "SFC":
            return (high_ground if upper else low_ground), "AMSL"
        if self.reference == "AGL":
            return self.value_m + (high_ground if upper else low_ground), "AMSL"
        if self.reference == "W84":
            return self.value_m, "W84"
        return self.value_m, "AMSL"  # AMSL, and flight levels on the standard atmosphere


class Zone(BaseModel):
    """An area of an agreement with a restriction. `schedule`: the windows in which it is active;
    empty means always. `terrain_m`: (lowest, highest) ground in the zone, when known, for AGL limits."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=200)
    agreement_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    restriction: Restriction
    footprint: Footprint | None = None
    lower: VerticalLimit | None = None
    upper: VerticalLimit | None = None
    schedule: list[TimeWindow] = Field(default_factory=list, max_length=1000)
    terrain_m: tuple[float, float] | None = None
    message: str = Field(default="", max_length=2000)
    contact: str = Field(default="", max_length=500)
    source: str = Field(default="", max_length=200)  # the format and file it came from
    identifier: str = Field(default="", max_length=200)  # its id in that source
    created_at: datetime | None = None
    # Its geometry when it came as an F3548 constraint: 4-D volumes, each with its own time (else empty).
    extents: list[Volume4D] = Field(default_factory=list, max_length=100)
    # The F3548 constraint reference: the USS that manages it through /dss/v1 ("" for the operator's zones,
    # imported or created over /v1), its version (counts writes) and its OVN (only its manager sees it).
    manager: str = Field(default="", max_length=200)
    version: int = Field(default=1, ge=1)
    ovn: str = Field(default="", max_length=200)
    uss_base_url: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _geometry(self) -> "Zone":
        published = (self.footprint, self.lower, self.upper)
        if self.extents:
            if any(p is not None for p in published) or self.schedule:
                raise ValueError("a zone has either extents or a footprint with limits and a schedule, not both")
        elif any(p is None for p in published):
            raise ValueError("a zone needs a footprint, a lower and an upper limit (or extents)")
        else:
            self.band()  # raises for an inverted band
        return self

    def as_seen_by(self, viewer: str | None) -> "Zone":
        """The OVN is its manager's (and the operator's, viewer None) only, as F3548 has it (invariant 3)."""
        if viewer is None or viewer == self.manager or not self.ovn:
            return self
        return self.model_copy(update={"ovn": ""})

    def band(self) -> AltitudeBand:
        """The altitude band covering the zone (for extents: their union, in their datum when they share
        one, else in AMSL widened by the geoid's range)."""
        if self.extents:
            bands = [v.altitude for v in self.extents]
            datums = {b.datum for b in bands}
            if len(datums) == 1:
                return AltitudeBand(lower_m=min(b.lower_m for b in bands), upper_m=max(b.upper_m for b in bands), datum=datums.pop())
            lows = [b.lower_m - (GEOID_MAX_M if b.datum == "W84" else 0.0) for b in bands]
            highs = [b.upper_m - (GEOID_MIN_M if b.datum == "W84" else 0.0) for b in bands]
            return AltitudeBand(lower_m=max(min(lows), MIN_ALTITUDE_M), upper_m=min(max(highs), MAX_ALTITUDE_M), datum="AMSL")
        assert self.lower is not None and self.upper is not None
        lower, lower_datum = self.lower.bound_m(upper=False, terrain_m=self.terrain_m)
        upper, upper_datum = self.upper.bound_m(upper=True, terrain_m=self.terrain_m)
        datum = lower_datum
        if lower_datum != upper_datum:  # one in W84: both in AMSL, the W84 one widened by the geoid's range
            if lower_datum == "W84":
                lower -= GEOID_MAX_M
            else:
                upper -= GEOID_MIN_M
            datum = "AMSL"
        lower, upper = max(lower, MIN_ALTITUDE_M), min(upper, MAX_ALTITUDE_M)
        if lower > upper:
            raise ValueError(f"lower limit ({self.lower.text or self.lower.reference}) is above the upper limit "
                             f"({self.upper.text or self.upper.reference})")
        return AltitudeBand(lower_m=lower, upper_m=upper, datum=datum)

    def limits_text(self) -> tuple[str, str]:
        """The lower and upper limit as people read them ("FL65", "120 m AGL"; extents: metres and datum)."""
        if self.lower is not None and self.upper is not None:
            return self.lower.text or self.lower.reference, self.upper.text or self.upper.reference
        band = self.band()
        return f"{band.lower_m:g} m {band.datum}", f"{band.upper_m:g} m {band.datum}"

    def pieces(self) -> list[tuple[Footprint, AltitudeBand, TimeWindow | None]]:
        """What to draw: (footprint, band, window or None for always) per extent, or per scheduled window."""
        if self.extents:
            return [(v.footprint, v.altitude, v.time) for v in self.extents]
        assert self.footprint is not None
        band = self.band()
        return [(self.footprint, band, window) for window in (self.schedule or [None])]

    def active_during(self, window: TimeWindow) -> list[TimeWindow]:
        """The parts of `window` in which the zone is active (extents: in which one of them is)."""
        if not self.schedule and not self.extents:
            return [window]
        parts = []
        for active in self.schedule or [v.time for v in self.extents]:
            start, end = max(active.start, window.start), min(active.end, window.end)
            if start < end:
                parts.append(TimeWindow(start=start, end=end))
        return parts

    def volumes_during(self, window: TimeWindow) -> list[Volume4D]:
        if self.extents:
            out = []
            for v in self.extents:
                start, end = max(v.time.start, window.start), min(v.time.end, window.end)
                if start < end:
                    out.append(v if (start, end) == (v.time.start, v.time.end) else v.model_copy(update={"time": TimeWindow(start=start, end=end)}))
            return out
        band = self.band()
        return [Volume4D(footprint=self.footprint, altitude=band, time=part) for part in self.active_during(window)]

    def extent(self) -> tuple[float, float, float, float]:
        """(west, east, south, north) degrees covering the footprint, for the store's coarse search;
        the whole circle of longitudes when the footprint crosses the antimeridian."""
        from datetime import datetime, timezone

        from ..geometry import index_boxes

        window = TimeWindow(start=datetime(2000, 1, 1, tzinfo=timezone.utc), end=datetime(2000, 1, 2, tzinfo=timezone.utc))
        shapes = [(v.footprint, v.altitude) for v in self.extents] or [(self.footprint, self.band())]  # not once per window
        per_piece = [index_boxes(Volume4D(footprint=footprint, altitude=band, time=window)) for footprint, band in shapes]
        boxes = [box for piece in per_piece for box in piece]
        south, north = min(b.min_lat for b in boxes), max(b.max_lat for b in boxes)
        if any(len(piece) > 1 for piece in per_piece):  # split at the antimeridian
            return -180.0, 180.0, south, north
        return min(b.min_lon for b in boxes), max(b.max_lon for b in boxes), south, north

    def summary(self) -> dict:
        """What a filing is told about a zone it reaches into."""
        lower, upper = self.limits_text()
        return {"id": self.id, "name": self.name, "restriction": self.restriction, "message": self.message,
                "contact": self.contact, "lower": lower, "upper": upper}


def stable_zone_id(name: str) -> str:
    """A zone id derived from `name` (the same name, the same id), shaped as the version-4 UUID that
    F3548 entity ids must be: a name-based (version 5) UUID with its version bits set to 4."""
    return str(uuid.UUID(bytes=uuid.uuid5(uuid.NAMESPACE_URL, name).bytes, version=4))


def v4_shaped(zone_id: str) -> str:
    """Migration 009: an imported zone's version-5 id as `stable_zone_id` now gives it (others unchanged)."""
    try:
        parsed = uuid.UUID(zone_id)
    except ValueError:
        return zone_id
    return str(uuid.UUID(bytes=parsed.bytes, version=4)) if parsed.version == 5 else zone_id


class ZoneHit(BaseModel):
    """A notice volume that reaches into a zone: the zone's summary and where/when."""

    zone: dict
    volume_index: int
    time_start: datetime
    time_end: datetime


def constraint_zone(
    *, zone_id: str, agreement_id: str, manager: str, version: int, ovn: str, uss_base_url: str,
    volumes: list[Volume4D], created_at: datetime | None,
) -> Zone:
    """The zone that an F3548 constraint reference is: its volumes, managed by a USS, `conditional`
    (the standard keeps a constraint's type and conditions with its manager, not in the DSS)."""
    return Zone(
        id=zone_id, agreement_id=agreement_id, name=f"constraint {zone_id[:8]} of {manager}"[:200], restriction="conditional",
        extents=volumes, message="An F3548 constraint: its details and conditions are with its manager.",
        contact=f"{manager} ({uss_base_url})"[:500], source="F3548", identifier=zone_id, created_at=created_at,
        manager=manager, version=version, ovn=ovn, uss_base_url=uss_base_url,
    )
