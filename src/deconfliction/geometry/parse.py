"""Volumes from the shapes people send: ASTM F3548 Volume4D and GeoJSON, with units converted here.

This is the edge: feet, flight levels and nautical miles come in, metres go out. Every error names
the field it is about, as a dotted path into the input.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidInput
from ..units import FOOT_M, flight_level_to_metres, parse_duration, parse_length
from .volume import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D

_F3548_DATUMS = {"W84": "W84", "AMSL": "AMSL", "MSL": "AMSL"}


def invalid_from_validation(exc: ValidationError, prefix: str = "") -> InvalidInput:
    """The first error of a pydantic ValidationError as an InvalidInput naming its field."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"] if part not in ("function-after", "polygon", "circle"))
    field = ".".join(p for p in (prefix, path) if p)
    message = first["msg"].removeprefix("Value error, ")
    return InvalidInput(message, field=field or None, details={"errors": len(exc.errors())})


def _require(obj: Any, key: str, field: str) -> Any:
    if not isinstance(obj, dict):
        raise InvalidInput(f"expected an object, got {type(obj).__name__}", field=field)
    if key not in obj or obj[key] is None:
        raise InvalidInput("is required", field=f"{field}.{key}" if field else key)
    return obj[key]


def _known(obj: Any, allowed: tuple[str, ...], field: str) -> None:
    """F3548 objects are closed: an unknown key is most likely a misspelt optional one ('unit' for
    'units'), which would otherwise silently take its default, so it is refused."""
    if isinstance(obj, dict):
        for key in obj:
            if key not in allowed:
                raise InvalidInput(f"unknown field {key!r} (expected {', '.join(allowed)})", field=f"{field}.{key}" if field else str(key))


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"expected a number, got {value!r}", field=field)
    return float(value)


def _f3548_altitude(obj: Any, field: str) -> tuple[float, str]:
    _known(obj, ("value", "reference", "units"), field)
    value = _number(_require(obj, "value", field), f"{field}.value")
    units = str(obj.get("units", "M")).upper()
    if units == "FL":  # our extension: flight levels are pressure altitudes, taken above mean sea level
        if _F3548_DATUMS.get(str(obj.get("reference", "AMSL")).upper()) != "AMSL":
            raise InvalidInput("a flight level is a pressure altitude: give reference AMSL (or none), never W84", field=f"{field}.reference")
        return flight_level_to_metres(value), "AMSL"
    reference = str(obj.get("reference", "W84")).upper()
    if reference not in _F3548_DATUMS:
        raise InvalidInput(f"unknown altitude reference {reference!r} (use W84 or AMSL)", field=f"{field}.reference")
    if units == "M":
        return value, _F3548_DATUMS[reference]
    if units == "FT":
        return value * FOOT_M, _F3548_DATUMS[reference]
    raise InvalidInput(f"unknown altitude units {units!r} (use M, FT or FL)", field=f"{field}.units")


def _f3548_time(obj: Any, field: str) -> Any:
    if isinstance(obj, dict):
        _known(obj, ("value", "format"), field)
        return _require(obj, "value", field)
    return obj


def _lat_lng(obj: Any, field: str) -> tuple[float, float]:
    _known(obj, ("lat", "lng"), field)
    lat = _number(_require(obj, "lat", field), f"{field}.lat")
    lng = _number(_require(obj, "lng", field), f"{field}.lng")
    return lng, lat


def volume_from_f3548(obj: Any, field: str = "", now: datetime | None = None) -> Volume4D:
    """A Volume4D from the F3548 shape: {volume: {outline_polygon | outline_circle, altitude_lower,
    altitude_upper}, time_start, time_end}."""
    volume = _require(obj, "volume", field)
    vfield = f"{field}.volume" if field else "volume"
    _known(obj, ("volume", "time_start", "time_end"), field)
    _known(volume, ("outline_polygon", "outline_circle", "altitude_lower", "altitude_upper"), vfield)
    polygon, circle = volume.get("outline_polygon"), volume.get("outline_circle")
    if (polygon is None) == (circle is None):
        raise InvalidInput("give exactly one of outline_polygon and outline_circle", field=vfield)
    try:
        if polygon is not None:
            _known(polygon, ("vertices",), f"{vfield}.outline_polygon")
            vertices = _require(polygon, "vertices", f"{vfield}.outline_polygon")
            if not isinstance(vertices, list):
                raise InvalidInput("expected a list of {lat, lng}", field=f"{vfield}.outline_polygon.vertices")
            points = tuple(_lat_lng(v, f"{vfield}.outline_polygon.vertices.{i}") for i, v in enumerate(vertices))
            footprint: Polygon | Circle = Polygon(vertices=points)
        else:
            _known(circle, ("center", "radius"), f"{vfield}.outline_circle")
            lng, lat = _lat_lng(_require(circle, "center", f"{vfield}.outline_circle"), f"{vfield}.outline_circle.center")
            radius = _require(circle, "radius", f"{vfield}.outline_circle")
            _known(radius, ("value", "units"), f"{vfield}.outline_circle.radius")
            units = str(radius.get("units", "M")).upper() if isinstance(radius, dict) else "M"
            value = _number(radius.get("value") if isinstance(radius, dict) else radius, f"{vfield}.outline_circle.radius.value")
            if units not in ("M", "FT", "NM"):
                raise InvalidInput(f"unknown radius units {units!r} (use M, FT or NM)", field=f"{vfield}.outline_circle.radius.units")
            footprint = Circle(lon=lng, lat=lat, radius_m=parse_length(f"{value} {units}") if units != "M" else value)
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{vfield}.{'outline_polygon' if polygon is not None else 'outline_circle'}") from None
    lower, lower_datum = _f3548_altitude(_require(volume, "altitude_lower", vfield), f"{vfield}.altitude_lower")
    upper, upper_datum = _f3548_altitude(_require(volume, "altitude_upper", vfield), f"{vfield}.altitude_upper")
    if lower_datum != upper_datum:
        raise InvalidInput("altitude_lower and altitude_upper must use the same reference", field=f"{vfield}.altitude_upper.reference")
    return _assemble(
        footprint,
        lower,
        upper,
        lower_datum,
        _f3548_time(_require(obj, "time_start", field), f"{field}.time_start" if field else "time_start"),
        _f3548_time(_require(obj, "time_end", field), f"{field}.time_end" if field else "time_end"),
        field,
        altitude_field=vfield,
        now=now,
    )


_RELATIVE = re.compile(r"^now\s*(?:([+-])\s*(.+))?$", re.IGNORECASE)


def resolve_time(value: Any, now: datetime | None, field: str) -> Any:
    """'now', 'now+90 min', 'now + 2 h' relative to `now`; anything else is left for the model to parse."""
    if not isinstance(value, str):
        return value
    match = _RELATIVE.match(value.strip())
    if not match:
        return value
    if now is None:
        raise InvalidInput("relative times ('now+1 h') need a clock; give an RFC 3339 time", field=field)
    try:
        offset = parse_duration(match.group(2), field) if match.group(2) else 0.0
    except ValueError as exc:
        raise InvalidInput(str(exc).split(": ", 1)[-1], field=field) from None
    return now + timedelta(seconds=-offset if match.group(1) == "-" else offset)


def _assemble(footprint, lower, upper, datum, start, end, field: str, altitude_field: str | None = None, now: datetime | None = None) -> Volume4D:
    prefix = f"{field}." if field else ""
    start = resolve_time(start, now, f"{prefix}time_start")
    end = resolve_time(end, now, f"{prefix}time_end")
    try:
        band = AltitudeBand(lower_m=lower, upper_m=upper, datum=datum)
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{altitude_field or field}.altitude".strip(".")) from None
    try:
        window = TimeWindow(start=start, end=end)
    except ValidationError as exc:
        raise invalid_from_validation(exc, f"{prefix}time".strip(".")) from None
    return Volume4D(footprint=footprint, altitude=band, time=window)


def volume_to_f3548(volume: Volume4D) -> dict[str, Any]:
    footprint = volume.footprint
    if isinstance(footprint, Circle):
        outline = {
            "outline_circle": {
                "center": {"lat": footprint.lat, "lng": footprint.lon},
                "radius": {"value": footprint.radius_m, "units": "M"},
            }
        }
    else:
        outline = {"outline_polygon": {"vertices": [{"lat": lat, "lng": lon} for lon, lat in footprint.vertices]}}
    band = volume.altitude
    return {
        "volume": {
            **outline,
            "altitude_lower": {"value": band.lower_m, "reference": band.datum, "units": "M"},
            "altitude_upper": {"value": band.upper_m, "reference": band.datum, "units": "M"},
        },
        "time_start": {"value": _rfc3339(volume.time.start), "format": "RFC3339"},
        "time_end": {"value": _rfc3339(volume.time.end), "format": "RFC3339"},
    }


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _geojson_altitude(value: Any, field: str) -> float:
    try:
        return parse_length(value, field)
    except ValueError as exc:
        raise InvalidInput(str(exc).split(": ", 1)[-1], field=field) from None


def volumes_from_geojson(obj: Any, defaults: dict[str, Any] | None = None, field: str = "", now: datetime | None = None) -> list[Volume4D]:
    """Volumes from a GeoJSON Feature, FeatureCollection or geometry.

    Each feature's properties (or `defaults`) give `altitude_lower`, `altitude_upper` (metres, or
    strings such as '1500 ft', 'FL350'), `altitude_datum` (W84 or AMSL; flight levels imply AMSL),
    `time_start`, `time_end` (RFC 3339 UTC), and `radius` for a Point. A MultiPolygon gives one
    volume per polygon. Rings must be closed, as GeoJSON requires."""
    defaults = dict(defaults or {})
    if not isinstance(obj, dict) or "type" not in obj:
        raise InvalidInput("expected a GeoJSON object with a 'type'", field=field or None)
    kind = obj["type"]
    if kind == "FeatureCollection":
        features = _require(obj, "features", field)
        volumes: list[Volume4D] = []
        for i, feature in enumerate(features):
            volumes.extend(volumes_from_geojson(feature, defaults, f"{field}.features.{i}".strip("."), now))
        return volumes
    if kind == "Feature":
        properties = {**defaults, **(obj.get("properties") or {})}
        return _geojson_geometry(_require(obj, "geometry", field), properties, f"{field}.geometry".strip("."), field, now)
    return _geojson_geometry(obj, defaults, field, field, now)


def _geojson_geometry(geometry: Any, props: dict[str, Any], gfield: str, pfield: str, now: datetime | None = None) -> list[Volume4D]:
    kind = _require(geometry, "type", gfield)
    coords = _require(geometry, "coordinates", gfield)
    pprefix = f"{pfield}.properties" if pfield else "properties"
    if kind == "Point":
        if "radius" not in props:
            raise InvalidInput("a Point needs a radius (metres, or e.g. '2 NM')", field=f"{pprefix}.radius")
        radius = _geojson_altitude(props["radius"], f"{pprefix}.radius")
        lon, lat = _position(coords, f"{gfield}.coordinates")
        try:
            footprints: list[Polygon | Circle] = [Circle(lon=lon, lat=lat, radius_m=radius)]
        except ValidationError as exc:
            raise invalid_from_validation(exc, gfield) from None
    elif kind == "Polygon":
        footprints = [_geojson_polygon(coords, f"{gfield}.coordinates")]
    elif kind == "MultiPolygon":
        footprints = [_geojson_polygon(p, f"{gfield}.coordinates.{i}") for i, p in enumerate(coords)]
    else:
        raise InvalidInput(f"unsupported geometry type {kind!r} (use Polygon, MultiPolygon or Point with radius)", field=f"{gfield}.type")
    for key in ("altitude_lower", "altitude_upper", "time_start", "time_end"):
        if key not in props:
            raise InvalidInput("is required (explicit altitude band and time window)", field=f"{pprefix}.{key}")
    lower = _geojson_altitude(props["altitude_lower"], f"{pprefix}.altitude_lower")
    upper = _geojson_altitude(props["altitude_upper"], f"{pprefix}.altitude_upper")
    flight_levels = any(str(props[k]).upper().startswith("FL") for k in ("altitude_lower", "altitude_upper"))
    datum = str(props.get("altitude_datum") or ("AMSL" if flight_levels else "")).upper()
    if datum not in _F3548_DATUMS:
        raise InvalidInput("is required: W84 (ellipsoid) or AMSL (mean sea level)", field=f"{pprefix}.altitude_datum")
    if flight_levels and _F3548_DATUMS[datum] != "AMSL":
        raise InvalidInput("a flight level is a pressure altitude, above mean sea level: use AMSL (or leave the datum out), never W84", field=f"{pprefix}.altitude_datum")
    return [_assemble(f, lower, upper, _F3548_DATUMS[datum], props["time_start"], props["time_end"], pprefix, now=now) for f in footprints]


def _position(coords: Any, field: str) -> tuple[float, float]:
    if not isinstance(coords, (list, tuple)) or len(coords) < 2:
        raise InvalidInput("expected [longitude, latitude]", field=field)
    return _number(coords[0], f"{field}.0"), _number(coords[1], f"{field}.1")


def _geojson_polygon(rings: Any, field: str) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise InvalidInput("expected a list of linear rings", field=field)
    if len(rings) > 1:
        raise InvalidInput("polygons with holes are not supported; give the areas as separate polygons", field=f"{field}.1")
    ring = rings[0]
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidInput("a linear ring needs at least 4 positions, the last equal to the first", field=f"{field}.0")
    positions = [_position(p, f"{field}.0.{i}") for i, p in enumerate(ring)]
    if positions[0] != positions[-1]:
        raise InvalidInput("the ring is not closed: its last position must equal its first", field=f"{field}.0")
    try:
        return Polygon(vertices=tuple(positions))
    except ValidationError as exc:
        raise invalid_from_validation(exc, field) from None


def load_volumes(obj: Any, defaults: dict[str, Any] | None = None, now: datetime | None = None) -> list[Volume4D]:
    """Volumes from any accepted shape: an F3548 Volume4D or a list of them, GeoJSON, our own
    serialisation, or an object with a `volumes` list of any of these. With `now`, times may be
    given relative to it ('now+1 h')."""
    if isinstance(obj, list):
        out: list[Volume4D] = []
        for i, item in enumerate(obj):
            out.extend(_load_one(item, defaults, f"volumes.{i}", now))
        return out
    if isinstance(obj, dict) and "volumes" in obj and "type" not in obj:
        return load_volumes(obj["volumes"], defaults, now)
    return _load_one(obj, defaults, "", now)


def _load_one(obj: Any, defaults, field: str, now: datetime | None) -> list[Volume4D]:
    if isinstance(obj, dict) and "type" in obj:
        return volumes_from_geojson(obj, defaults, field, now)
    if isinstance(obj, dict) and "volume" in obj:
        return [volume_from_f3548(obj, field, now)]
    if isinstance(obj, dict) and "footprint" in obj:
        try:
            return [Volume4D.model_validate(obj)]
        except ValidationError as exc:
            raise invalid_from_validation(exc, field) from None
    raise InvalidInput("not a volume: expected an F3548 Volume4D, GeoJSON, or {footprint, altitude, time}", field=field or None)
