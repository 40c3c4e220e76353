"""The shapes of airspace: footprints, altitude bands, time windows, and the Volume4D that joins them.

Coordinates are WGS84 longitude/latitude in degrees; distances and altitudes in metres; times are
timezone-aware UTC datetimes. A polygon's edges are geodesics on the WGS84 ellipsoid (as in the
F3548 reference DSS, which uses great circles), and its interior is the smaller of the two regions
its ring bounds, so a ring around a pole or across the antimeridian means what it says.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationInfo, field_validator, model_validator

from .footprint import check_polygon
from .limits import MAX_ALTITUDE_M, MAX_FOOTPRINT_RADIUS_M, MAX_VERTICES, MIN_ALTITUDE_M

Datum = Literal["W84", "AMSL"]
# A number is a JSON number: `true` is not 1 m and "1000" is not 1000 m (invariant 5); ints are fine.
Number = Annotated[float, Strict()]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_lon_lat(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("coordinates must be finite numbers (got NaN or infinity)")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside [-90, 90]")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside [-180, 180]")


class Circle(_Frozen):
    """All points within `radius_m` (geodesic distance) of the centre."""

    kind: Literal["circle"] = "circle"
    lon: Number
    lat: Number
    radius_m: Number

    @model_validator(mode="after")
    def _valid(self) -> "Circle":
        _check_lon_lat(self.lon, self.lat)
        if not math.isfinite(self.radius_m) or self.radius_m <= 0:
            raise ValueError(f"radius_m must be a positive number of metres (got {self.radius_m})")
        if self.radius_m > MAX_FOOTPRINT_RADIUS_M:
            raise ValueError(f"radius_m {self.radius_m:.0f} exceeds the maximum of {MAX_FOOTPRINT_RADIUS_M:.0f} m")
        return self


class Polygon(_Frozen):
    """A simple polygon given by its ring of (lon, lat) vertices, implicitly closed."""

    kind: Literal["polygon"] = "polygon"
    vertices: tuple[tuple[Number, Number], ...]

    @field_validator("vertices")
    @classmethod
    def _ring(cls, vertices: tuple[tuple[float, float], ...], info: ValidationInfo) -> tuple[tuple[float, float], ...]:
        if info.context and info.context.get("trusted"):
            return vertices  # read back from a store: this ring already came out of this validator
        for index, (lon, lat) in enumerate(vertices):
            try:
                _check_lon_lat(lon, lat)
            except ValueError as exc:
                raise ValueError(f"vertex {index}: {exc}") from None
        ring = list(vertices)
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring.pop()  # an explicitly closed ring is the same ring
        deduplicated = [v for i, v in enumerate(ring) if i == 0 or v != ring[i - 1]]
        if len(deduplicated) < 3:
            raise ValueError("a polygon needs at least 3 distinct vertices (degenerate ring)")
        if len(deduplicated) > MAX_VERTICES:
            raise ValueError(f"a polygon may have at most {MAX_VERTICES} vertices (got {len(deduplicated)})")
        return tuple((float(lon), float(lat)) for lon, lat in deduplicated)

    @model_validator(mode="after")
    def _simple(self, info: ValidationInfo) -> "Polygon":
        # Geometry read back from a store was checked when it was written; checking costs a projection.
        if info.context and info.context.get("trusted"):
            return self
        check_polygon(self)
        return self


Footprint = Annotated[Union[Polygon, Circle], Field(discriminator="kind")]


class AltitudeBand(_Frozen):
    """Lower and upper altitude in metres above a datum: the WGS84 ellipsoid (`W84`) or mean sea level (`AMSL`)."""

    lower_m: Number
    upper_m: Number
    datum: Datum = "W84"

    @model_validator(mode="after")
    def _valid(self) -> "AltitudeBand":
        for name in ("lower_m", "upper_m"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number of metres (got {value})")
            if not MIN_ALTITUDE_M <= value <= MAX_ALTITUDE_M:
                raise ValueError(f"{name} {value} is outside [{MIN_ALTITUDE_M:.0f}, {MAX_ALTITUDE_M:.0f}] m")
        if self.lower_m > self.upper_m:
            raise ValueError(f"lower_m ({self.lower_m}) is above upper_m ({self.upper_m}): inverted altitude band")
        return self


class TimeWindow(_Frozen):
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("time must carry a time zone (e.g. 2026-05-01T10:00:00Z); naive times are ambiguous")
        return value.astimezone(timezone.utc)

    @model_validator(mode="after")
    def _ordered(self) -> "TimeWindow":
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) is not after start ({self.start.isoformat()})")
        return self

    @property
    def start_s(self) -> float:
        return self.start.timestamp()

    @property
    def end_s(self) -> float:
        return self.end.timestamp()


class Volume4D(_Frozen):
    """A footprint, an altitude band and a time window: one piece of an operation's airspace."""

    footprint: Footprint
    altitude: AltitudeBand
    time: TimeWindow
