"""Airspace JSON as the `traffic` library writes it: {"name", "type", "designator"?, "shapes":
[{"lower", "upper", "polygon": GeoJSON Polygon}]}, limits in flight levels (0 is the surface).

It carries no restriction: the importer's `restriction` (default information) applies. One zone
per shape (a layer of the airspace).
"""

from __future__ import annotations

from pydantic import ValidationError

from ...geometry import Polygon
from .common import ImportOptions, ImportResult, build_zone, limit, refuse, zone_id


def import_traffic_json(data: dict, options: ImportOptions, restriction: str = "information") -> ImportResult:
    result = ImportResult("traffic airspace JSON")
    name = str(data.get("name") or "").strip()
    shapes = data.get("shapes")
    if not name or not isinstance(shapes, list) or not shapes:
        raise refuse("shapes", "an airspace JSON has a name and a non-empty 'shapes' array")
    designator = str(data.get("designator") or name)
    for index, shape in enumerate(shapes):
        element = f"shapes[{index}]"
        if not isinstance(shape, dict):
            raise refuse(element, "expected an object")
        polygon = shape.get("polygon") or {}
        if polygon.get("type") != "Polygon":
            result.skip(f"{designator}#{index}", f"geometry {polygon.get('type')!r} is not supported")
            continue
        for key in ("lower", "upper"):
            value = shape.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise refuse(f"{element}.{key}", "a flight level number is required")
        lower = limit("SFC", text="SFC") if shape["lower"] == 0 else limit("FL", float(shape["lower"]), "FL")
        upper = limit("FL", float(shape["upper"]), "FL")
        rings = polygon.get("coordinates") or []
        try:
            footprint = Polygon(vertices=tuple((float(p[0]), float(p[1])) for p in rings[0]))
        except ValidationError as exc:
            raise refuse(f"{element}.polygon", exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        except (TypeError, ValueError, IndexError):
            raise refuse(f"{element}.polygon.coordinates", "each vertex is [longitude, latitude]") from None
        identifier = f"{designator}#{index}"
        result.zones.append(build_zone(
            element, id=zone_id(options, "traffic", identifier), agreement_id=options.agreement_id, identifier=identifier,
            name=f"{name} ({lower.text}-{upper.text})"[:200], restriction=restriction, footprint=footprint, lower=lower, upper=upper,
            terrain_m=options.terrain_m, message=f"{data.get('type', '')} {name}".strip(), source=f"traffic JSON {options.source}".strip()[:200],
        ))
    return result
