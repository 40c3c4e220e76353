"""F3548 wire shapes ↔ our models: the one place where the interface's JSON meets Volume4D and notices.

Requests are parsed with the standard's own types (uas_standards, which ignores undeclared fields as
the standard requires); a shape error is a 400 naming the field. Limits are checked here, before any
transaction: area, vertices, time spans and the subscription duration (400; the reference DSS answers an
area too large with 400 too, where the standard lists 413: docs/f3548.md)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from implicitdict import ImplicitDict
from pydantic import ValidationError

from ..errors import DeconflictionError, InvalidInput
from ..geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D, area_m2, invalid_from_validation
from ..geometry.volume import MAX_ALTITUDE_M, MIN_ALTITUDE_M

T = TypeVar("T", bound=ImplicitDict)

NULL_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"  # as the reference DSS: an intent without one
_UUID4 = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$")
_AT = re.compile(r"^At ([^:]+): (.*)$", re.S)


def parse(body: Any, kind: type[T]) -> T:
    """The request body as the standard's type; unknown fields are dropped (the standard says ignore them)."""
    if not isinstance(body, dict):
        raise InvalidInput(f"expected a JSON object ({kind.__name__})", field="body")
    try:
        return ImplicitDict.parse(body, kind)
    except (ValueError, TypeError, KeyError) as exc:
        message = str(exc)
        match = _AT.match(message)
        if match:  # "At extents[0].volume: ..." → field extents.0.volume
            field = re.sub(r"\[(\d+)\]", r".\1", match.group(1))
            raise InvalidInput(match.group(2), field=field) from None
        missing = re.match(r'Required field "([^"]+)"', message)
        raise InvalidInput(message, field=missing.group(1) if missing else "body") from None


def text(value: Any) -> str:
    """A string field of a parsed request (the standard's enums are str Enums)."""
    return str(value.value) if hasattr(value, "value") else str(value)


def entity_id(value: str, field: str = "entityid") -> str:
    if not _UUID4.match(value):
        raise InvalidInput(f"{value!r} is not a version-4 UUID", field=field)
    return value.lower()


def _time(obj: Any, field: str) -> datetime | None:
    if obj is None:
        return None
    value = obj.get("value") if isinstance(obj, dict) else None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"not an RFC 3339 time: {value!r}", field=f"{field}.value") from None
    if moment.tzinfo is None:
        raise InvalidInput("the time zone must be given ('Z')", field=f"{field}.value")
    return moment


def _altitude(obj: Any, default: float, field: str, required: bool) -> float:
    if obj is None:
        if required:
            raise InvalidInput("is required", field=field)
        return default
    return float(obj["value"])  # reference W84 and units M: the standard's only values, checked by parse()


# A query for one instant (time_end == time_start) looks at this much time from it: our time windows
# are never empty, and the reference DSS takes such a query as valid.
INSTANT = timedelta(milliseconds=1)


class EmptyTime(Exception):
    """An area of interest whose time_end is before its time_start: nothing can be in it (200, empty)."""


def volume(
    obj: Any, field: str, *, now: datetime, required: bool, max_vertices: int, default_hours: float = 24.0, query: bool = False,
) -> Volume4D:
    """Our Volume4D from an F3548 Volume4D. `required`: altitudes and times must be given (extents of
    intents and constraints); otherwise they default to everything, and now … start + `default_hours`
    (from now if the start is past). `query`: an area of interest, where an end at the start is one
    instant and an end before the start raises EmptyTime, as the reference DSS has them."""
    body = obj.get("volume") or {}
    polygon, circle = body.get("outline_polygon"), body.get("outline_circle")
    if (polygon is None) == (circle is None):
        raise InvalidInput("give exactly one of outline_polygon and outline_circle", field=f"{field}.volume")
    try:
        if polygon is not None:
            vertices = polygon.get("vertices") or []
            if len(vertices) > max_vertices:
                raise InvalidInput(f"at most {max_vertices} vertices (got {len(vertices)})", field=f"{field}.volume.outline_polygon.vertices")
            footprint: Polygon | Circle = Polygon(vertices=tuple((float(v["lng"]), float(v["lat"])) for v in vertices))
        else:
            center, radius = circle.get("center"), circle.get("radius")
            if center is None or radius is None:
                raise InvalidInput("a circle needs center and radius", field=f"{field}.volume.outline_circle")
            footprint = Circle(lon=float(center["lng"]), lat=float(center["lat"]), radius_m=float(radius["value"]))
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{field}.volume.{'outline_polygon' if polygon is not None else 'outline_circle'}") from None
    lower = _altitude(body.get("altitude_lower"), MIN_ALTITUDE_M, f"{field}.volume.altitude_lower", required)
    upper = _altitude(body.get("altitude_upper"), MAX_ALTITUDE_M, f"{field}.volume.altitude_upper", required)
    start = _time(obj.get("time_start"), f"{field}.time_start")
    end = _time(obj.get("time_end"), f"{field}.time_end")
    if required and start is None:
        raise InvalidInput("is required", field=f"{field}.time_start")
    if required and end is None:
        raise InvalidInput("is required", field=f"{field}.time_end")
    start = start or now
    end = end or start + timedelta(hours=default_hours)
    if query and end < start:
        raise EmptyTime()
    if query and end == start:
        end = start + INSTANT
    try:
        band = AltitudeBand(lower_m=lower, upper_m=upper, datum="W84")
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{field}.volume.altitude") from None
    try:
        window = TimeWindow(start=start, end=end)
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{field}.time") from None
    return Volume4D(footprint=footprint, altitude=band, time=window)


def check_area(volumes: list[Volume4D], max_km2: float, field: str, error: type[DeconflictionError] = InvalidInput) -> None:
    """400 for a footprint above the limit (each volume's against it), as the reference DSS answers."""
    for i, v in enumerate(volumes):
        km2 = area_m2(v.footprint) / 1e6
        if km2 > max_km2:
            where = field if len(volumes) == 1 and field != "extents" else f"{field}.{i}"
            raise error(f"the area is {km2:,.0f} km², more than {max_km2:,.0f} km²", field=f"{where}.volume")


def check_future(volumes: list[Volume4D], now: datetime, horizon: timedelta, field: str) -> None:
    for i, v in enumerate(volumes):
        if v.time.end <= now:
            raise InvalidInput("the end time is in the past", field=f"{field}.{i}.time_end")
        if v.time.end - now > horizon:
            raise InvalidInput(f"ends more than {horizon.days} days ahead", field=f"{field}.{i}.time_end")


def time(moment: datetime) -> dict[str, str]:
    return {"value": moment.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def new_id() -> str:
    return str(uuid.uuid4())


def volume_to_wire(v: Volume4D) -> dict[str, Any]:
    """A Volume4D in the standard's shape. F3548 altitudes are W84: a band above mean sea level is
    widened by the geoid's range so that it is never smaller than the zone."""
    from ..models.zones import GEOID_MAX_M, GEOID_MIN_M

    lower, upper = v.altitude.lower_m, v.altitude.upper_m
    if v.altitude.datum != "W84":
        lower, upper = lower + GEOID_MIN_M, upper + GEOID_MAX_M
    footprint = v.footprint
    if footprint.kind == "circle":
        outline: dict[str, Any] = {"outline_circle": {"center": {"lng": footprint.lon, "lat": footprint.lat},
                                                      "radius": {"value": footprint.radius_m, "units": "M"}}}
    else:
        outline = {"outline_polygon": {"vertices": [{"lng": lon, "lat": lat} for lon, lat in footprint.vertices]}}
    return {
        "volume": {**outline, "altitude_lower": {"value": lower, "reference": "W84", "units": "M"},
                   "altitude_upper": {"value": upper, "reference": "W84", "units": "M"}},
        "time_start": time(v.time.start), "time_end": time(v.time.end),
    }
