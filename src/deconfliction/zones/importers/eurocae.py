"""EUROCAE UAS geographical zones: ED-269 (JSON, `features` or the Swiss `UASZoneList`) and
ED-318 (a GeoJSON FeatureCollection with a vertical `layer` per geometry).

Read: identifier, name, restriction/type, message, restrictionConditions, zoneAuthority (name,
service, contact, email, phone, site), applicability (permanent, start/end, daily schedules), and
each geometry (polygons and circles, with their vertical limits). One zone per geometry. Ignored:
reasons, region, regulation exemption, U-space class, extended properties, dataset metadata.
Coordinates are GeoJSON order (longitude, latitude). Values come from the `uas-standards` enums.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from uas_standards import eurocae_ed269 as ed269
from uas_standards import eurocae_ed318 as ed318

from ...geometry import Circle, Polygon, TimeWindow
from ..schedule import day_set, parse_clock, weekly_windows
from .common import ImportOptions, ImportResult, build_zone, length_m, limit, refuse, zone_id

RESTRICTIONS = {
    ed269.Restriction.PROHIBITED.value: "prohibited",
    ed269.Restriction.REQ_AUTHORISATION.value: "authorisation_required",
    ed318.CodeZoneType.REQ_AUTHORIZATION.value: "authorisation_required",
    ed269.Restriction.CONDITIONAL.value: "conditional",
    ed269.Restriction.NO_RESTRICTION.value: "information",
    ed318.CodeZoneType.USPACE.value: "information",
}
REFERENCES = {ref.value for ref in ed318.CodeVerticalReferenceType} | {ref.value for ref in ed269.VerticalReferenceType}


def _text(value: Any) -> str:
    """ED-318 texts are lists of {text, lang}: English when there is one, else the first."""
    if isinstance(value, list):
        texts = [v for v in value if isinstance(v, dict) and v.get("text")]
        english = [v for v in texts if str(v.get("lang", "")).lower().startswith("en")]
        chosen = (english or texts)
        return str(chosen[0]["text"]) if chosen else ""
    return "" if value is None else str(value)


def _time(value: Any, element: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise refuse(element, f"{value!r} is not an ISO 8601 date-time") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _contact(authorities: Any) -> str:
    parts = []
    for authority in authorities or []:
        if not isinstance(authority, dict):
            continue
        for key in ("name", "service", "contactName", "phone", "email", "siteURL"):
            text = _text(authority.get(key))
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts)[:500]


def _schedule(periods: Any, permanent: bool, options: ImportOptions, element: str) -> list[TimeWindow] | None:
    """The zone's windows: [] for always; None when it applies to no time within the horizon."""
    if permanent or not periods:
        return []
    horizon_end = options.now + options.horizon
    windows: list[TimeWindow] = []
    for index, period in enumerate(periods):
        where = f"{element}[{index}]"
        if not isinstance(period, dict):
            raise refuse(where, "expected an object")
        if str(period.get("permanent", "")).upper() == "YES":
            return []
        start = _time(period.get("startDateTime"), f"{where}.startDateTime") or options.now
        end = _time(period.get("endDateTime"), f"{where}.endDateTime") or horizon_end
        start, end = max(start, options.now), min(end, horizon_end)
        if end <= start:
            continue
        daily = period.get("schedule") or period.get("dailyPeriod") or []
        rules = []
        for k, rule in enumerate(daily):
            rule_at = f"{where}.schedule[{k}]"
            if not isinstance(rule, dict):
                raise refuse(rule_at, "expected an object")
            if rule.get("startTime") is None or rule.get("endTime") is None:
                # sunrise/sunset events or an empty rule: the whole day, so never shorter than published
                begin, finish = parse_clock("00:00", rule_at), parse_clock("24:00", rule_at)
            else:
                try:
                    begin = parse_clock(str(rule["startTime"]), f"{rule_at}.startTime")
                    finish = parse_clock(str(rule["endTime"]), f"{rule_at}.endTime")
                except ValueError as exc:
                    raise refuse(rule_at, str(exc)) from None
            try:
                rules.append((day_set(rule.get("day"), f"{rule_at}.day"), begin, finish))
            except ValueError as exc:
                raise refuse(rule_at, str(exc)) from None
        windows += weekly_windows(rules, start, end) if rules else [TimeWindow(start=start, end=end)]
    return sorted(windows, key=lambda w: w.start) or None


def _number(value: Any, element: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise refuse(element, "expected a number, got a boolean")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise refuse(element, f"{value!r} is not a number") from None


def _limits(lower: Any, lower_ref: Any, upper: Any, upper_ref: Any, unit: str, element: str):
    for name, ref in (("lower", lower_ref), ("upper", upper_ref)):
        if ref is not None and str(ref).upper() not in REFERENCES:
            raise refuse(f"{element}.{name}Reference", f"unknown vertical reference {ref!r} (AGL, AMSL or WGS84)")
    low = _number(lower, f"{element}.lower")
    high = _number(upper, f"{element}.upper")
    lower_limit = limit("SFC" if not low and str(lower_ref or "AGL").upper() == "AGL" else str(lower_ref or "AGL"),
                        low or 0.0, unit, element=element)
    upper_limit = (limit("UNL") if high is None else limit(str(upper_ref or "AGL"), high, unit, element=element))
    return lower_limit, upper_limit


def _ring(coordinates: Any, element: str) -> Polygon:
    if not isinstance(coordinates, list) or not coordinates or not isinstance(coordinates[0], list):
        raise refuse(element, "a polygon needs a list of rings")
    if len(coordinates) > 1:
        raise refuse(element, "polygons with holes are not supported")
    try:
        return Polygon(vertices=tuple((float(p[0]), float(p[1])) for p in coordinates[0]))
    except ValidationError as exc:
        raise refuse(element, exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    except (TypeError, ValueError, IndexError):
        raise refuse(element, "each vertex is [longitude, latitude]") from None


def _zone_fields(properties: dict, options: ImportOptions, kind: str, element: str) -> dict | None:
    identifier = str(properties.get("identifier") or "").strip()
    if not identifier:
        raise refuse(f"{element}.identifier", "missing")
    restriction_code = str(properties.get("restriction") or properties.get("type") or "").upper()
    if restriction_code not in RESTRICTIONS:
        raise refuse(f"{element}.restriction", f"unknown restriction {restriction_code!r}")
    message = "; ".join(t for t in (_text(properties.get("message")), _text(properties.get("restrictionConditions"))) if t)
    periods = properties.get("applicability") if kind == "ED-269" else properties.get("limitedApplicability")
    permanent = kind == "ED-318" and not periods
    schedule = _schedule(periods, permanent, options, f"{element}.{'applicability' if kind == 'ED-269' else 'limitedApplicability'}")
    return {
        "identifier": identifier, "agreement_id": options.agreement_id, "name": (_text(properties.get("name")) or identifier)[:200],
        "restriction": RESTRICTIONS[restriction_code], "message": message[:2000],
        "contact": _contact(properties.get("zoneAuthority")), "schedule": schedule,
        "source": f"{kind} {options.source}".strip()[:200], "terrain_m": options.terrain_m,
    }


def import_ed269(data: dict, options: ImportOptions) -> ImportResult:
    result = ImportResult("ED-269")
    key = "features" if "features" in data else "UASZoneList"
    zones = data.get(key)
    if not isinstance(zones, list):
        raise refuse("features", "an ED-269 file has a 'features' (or 'UASZoneList') array")
    for index, properties in enumerate(zones):
        element = f"{key}[{index}]"
        if not isinstance(properties, dict):
            raise refuse(element, "expected an object")
        fields = _zone_fields(properties, options, "ED-269", element)
        if fields["schedule"] is None:
            result.skip(fields["identifier"], "not applicable within the import horizon")
            continue
        geometries = properties.get("geometry")
        if not isinstance(geometries, list) or not geometries:
            raise refuse(f"{element}.geometry", "at least one airspace volume is required")
        for k, volume in enumerate(geometries):
            at = f"{element}.geometry[{k}]"
            projection = volume.get("horizontalProjection") if isinstance(volume, dict) else None
            if not isinstance(projection, dict):
                raise refuse(f"{at}.horizontalProjection", "missing")
            unit = str(volume.get("uomDimensions") or "M")
            lower, upper = _limits(volume.get("lowerLimit"), volume.get("lowerVerticalReference"), volume.get("upperLimit"),
                                   volume.get("upperVerticalReference"), unit, at)
            kind = str(projection.get("type"))
            if kind == "Circle":
                centre, radius = projection.get("center"), _number(projection.get("radius"), f"{at}.horizontalProjection.radius")
                if not isinstance(centre, list) or len(centre) != 2 or radius is None:
                    raise refuse(f"{at}.horizontalProjection", "a circle needs center [lon, lat] and radius")
                footprint = _dummy(f"{at}.horizontalProjection", Circle, lon=centre[0], lat=centre[1], radius_m=length_m(radius, unit, at))
            elif kind == "Polygon":
                footprint = _ring(projection.get("coordinates"), f"{at}.horizontalProjection.coordinates")
            else:
                result.skip(f"{fields['identifier']}#{k}", f"horizontal projection {kind!r} is not supported")
                continue
            result.zones.append(_zone(fields, footprint, lower, upper, options, "ED-269", k, len(geometries), at))
    return result


def _dummy(element: str, cls, **values):
    """Validate a footprint alone (so that its errors name its element) and hand it back as a field."""
    try:
        return {"footprint": cls(**values)}
    except ValidationError as exc:
        raise refuse(element, exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def _zone(fields: dict, footprint, lower, upper, options: ImportOptions, kind: str, index: int, count: int, element: str):
    if isinstance(footprint, dict):
        footprint = footprint["footprint"]
    identifier = fields["identifier"] if count == 1 else f"{fields['identifier']}#{index}"
    zone_fields = {k: v for k, v in fields.items() if k != "identifier"}
    return build_zone(element, id=zone_id(options, kind, identifier), identifier=identifier, footprint=footprint,
                      lower=lower, upper=upper, **zone_fields)


def import_ed318(data: dict, options: ImportOptions) -> ImportResult:
    result = ImportResult("ED-318")
    features = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise refuse("type", "an ED-318 file is a GeoJSON FeatureCollection with 'features'")
    for index, feature in enumerate(features):
        element = f"features[{index}]"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise refuse(f"{element}.properties", "missing")
        fields = _zone_fields(feature["properties"], options, "ED-318", f"{element}.properties")
        if fields["schedule"] is None:
            result.skip(fields["identifier"], "not applicable within the import horizon")
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            raise refuse(f"{element}.geometry", "missing")
        parts = geometry.get("geometries") if geometry.get("type") == "GeometryCollection" else [geometry]
        for k, part in enumerate(parts or []):
            at = f"{element}.geometry" + (f".geometries[{k}]" if len(parts) > 1 else "")
            layer = part.get("layer") or geometry.get("layer")
            if not isinstance(layer, dict):
                raise refuse(f"{at}.layer", "each ED-318 geometry needs its vertical layer")
            lower, upper = _limits(layer.get("lower"), layer.get("lowerReference"), layer.get("upper"), layer.get("upperReference"),
                                   str(layer.get("uom") or "m"), f"{at}.layer")
            kind = part.get("type")
            polygons = []
            if kind == "Polygon":
                polygons = [part.get("coordinates")]
            elif kind == "MultiPolygon":
                polygons = part.get("coordinates") or []
            elif kind == "Point" and isinstance(part.get("extent"), dict) and part["extent"].get("subType") == "Circle":
                lon_lat = part.get("coordinates") or []
                radius = _number(part["extent"].get("radius"), f"{at}.extent.radius")
                if len(lon_lat) < 2 or radius is None:
                    raise refuse(f"{at}", "a circle needs coordinates [lon, lat] and extent.radius")
                footprint = _dummy(at, Circle, lon=lon_lat[0], lat=lon_lat[1], radius_m=length_m(radius, str(layer.get("uom") or "m"), at))
                result.zones.append(_zone(fields, footprint, lower, upper, options, "ED-318", k, len(parts), at))
                continue
            else:
                result.skip(f"{fields['identifier']}#{k}", f"geometry {kind!r} is not an area")
                continue
            for p, coordinates in enumerate(polygons):
                footprint = _ring(coordinates, f"{at}.coordinates" + (f"[{p}]" if len(polygons) > 1 else ""))
                count = len(parts) * len(polygons)
                result.zones.append(_zone(fields, footprint, lower, upper, options, "ED-318", k * 1000 + p, count, at))
    return result
