"""AIXM 5.1 / 5.1.1 Airspace features (lxml with the AIXM and GML namespaces).

Read, per Airspace (its last BASELINE or SNAPSHOT time slice): type, designator, name, each
AirspaceVolume of its geometry components (upper/lower limit with unit and reference, and the
horizontal projection: gml:PolygonPatch rings made of GeodesicString / LineStringSegment /
ArcByCenterPoint segments, or a CircleByCenterPoint), and its activations' timesheets (ACTIVE
status; expanded over the import horizon). Ignored: classes and layers, annotations, authorities,
volumes composed of other airspaces (skipped with the reason), and every other feature type.

Restriction by type: P → prohibited; R, TSA, TRA, ADIZ, CTR, CTA, TMA, ATZ, TIZ, RAS → authorisation
required; D, D_OTHER, W, A, MOA, PROTECT… → conditional. FIR, UIR, sectors, airways and other
types that are not restriction areas are skipped. Positions are read in the order of the CRS:
latitude first for EPSG:4326 (AIXM's default), longitude first for CRS84.

Activation without timesheets, or available for activation by NOTAM, is taken as always active
(the conservative reading); timesheets with daylight-saving adjustment are widened by one hour.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Iterable

from pydantic import ValidationError
from pyproj import Geod

from ...geometry import Circle, Polygon, TimeWindow
from ..schedule import day_set, parse_clock, weekly_windows
from .common import ImportOptions, ImportResult, build_zone, length_m, limit, refuse, zone_id

GML = "http://www.opengis.net/gml/3.2"
GEOD = Geod(ellps="WGS84")
ARC_STEP_DEG = 2.0

RESTRICTIONS = {"P": "prohibited"}
RESTRICTIONS.update({t: "authorisation_required" for t in ("R", "TSA", "TRA", "ADIZ", "CTR", "CTA", "CTA_P", "TMA", "TMA_P",
                                                           "ATZ", "ATZ_P", "TIZ", "TIA", "RAS", "R_AMC", "CBA", "NO_FIR")})
RESTRICTIONS.update({t: "conditional" for t in ("D", "D_OTHER", "D_AMC", "W", "A", "MOA", "OTHER:MOA", "PROTECT", "AMA", "POLITICAL")})
WORK_DAYS = {"MON", "TUE", "WED", "THU", "FRI"}


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _child(element, name: str):
    for child in element:
        if _local(child) == name:
            return child
    return None


def _children(element, name: str) -> list:
    return [child for child in element if _local(child) == name]


def _descendants(element, name: str) -> Iterable:
    return (e for e in element.iter() if _local(e) == name)


def _text(element, name: str) -> str:
    found = _child(element, name)
    return (found.text or "").strip() if found is not None and found.text else ""


def _numbers(text: str, element: str) -> list[float]:
    try:
        return [float(v) for v in text.split()]
    except ValueError:
        raise refuse(element, f"not a list of numbers: {text[:60]!r}") from None


def _points(segment, lat_first: bool, element: str) -> list[tuple[float, float]]:
    poslist = _child(segment, "posList")
    values = _numbers(poslist.text or "", element) if poslist is not None else []
    for pos in _children(segment, "pos"):
        values += _numbers(pos.text or "", element)
    if len(values) % 2:
        raise refuse(element, "odd number of coordinates")
    pairs = list(zip(values[0::2], values[1::2]))
    return [(b, a) for a, b in pairs] if lat_first else pairs


def _centre(segment, lat_first: bool, element: str) -> tuple[float, float]:
    """A circle's or arc's centre: its own pos/posList, or the position of its gml:pointProperty."""
    points = _points(segment, lat_first, element)
    if not points:
        for holder in _descendants(segment, "pointProperty"):
            pos = next(_descendants(holder, "pos"), None)
            if pos is not None:
                points = _points(pos.getparent(), lat_first, element)
                break
    if not points:
        raise refuse(element, "centre position missing")
    return points[0]


def _radius(segment, element: str) -> float:
    radius = _child(segment, "radius")
    if radius is None or not radius.text:
        raise refuse(element, "radius missing")
    return length_m(float(radius.text), radius.get("uom", "M"), element)


def _arc(segment, lat_first: bool, element: str) -> list[tuple[float, float]]:
    lon, lat = _centre(segment, lat_first, element)
    radius = _radius(segment, element)
    start = float(_text(segment, "startAngle") or "nan")
    end = float(_text(segment, "endAngle") or "nan")
    if math.isnan(start) or math.isnan(end):
        raise refuse(element, "arc without start or end angle")
    # AIXM angles are bearings from true north; the arc runs from start to end angle clockwise when
    # end > start, counter-clockwise otherwise.
    steps = max(2, int(abs(end - start) / ARC_STEP_DEG) + 1)
    bearings = [start + (end - start) * k / steps for k in range(steps + 1)]
    lons, lats, _ = GEOD.fwd([lon] * len(bearings), [lat] * len(bearings), bearings, [radius] * len(bearings))
    return list(zip(lons, lats))


def _footprint(volume, element: str):
    projection = _child(volume, "horizontalProjection")
    if projection is None:
        raise refuse(f"{element}.horizontalProjection", "missing")
    surface = next(iter(projection), None)
    if surface is None:
        raise refuse(f"{element}.horizontalProjection", "empty")
    srs = (surface.get("srsName") or "EPSG:4326").upper()
    lat_first = "CRS84" not in srs
    circles = list(_descendants(surface, "CircleByCenterPoint"))
    if circles:
        lon, lat = _centre(circles[0], lat_first, f"{element}.CircleByCenterPoint")
        try:
            return Circle(lon=lon, lat=lat, radius_m=_radius(circles[0], f"{element}.CircleByCenterPoint"))
        except ValidationError as exc:
            raise refuse(f"{element}.CircleByCenterPoint", exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    exterior = next(_descendants(surface, "exterior"), None)
    if exterior is None:
        raise refuse(f"{element}.horizontalProjection", "no exterior ring")
    ring: list[tuple[float, float]] = []
    for segment in exterior.iter():
        name = _local(segment)
        if name in ("GeodesicString", "LineStringSegment", "LinearRing", "Geodesic"):
            ring += _points(segment, lat_first, f"{element}.{name}")
        elif name == "ArcByCenterPoint":
            ring += _arc(segment, lat_first, f"{element}.ArcByCenterPoint")
        elif name in ("Arc", "ArcString", "CircleByCenterPoint", "Clothoid", "OffsetCurve"):
            raise refuse(f"{element}.{name}", "segment type not supported")
    if len(_descendants_list := list(_descendants(surface, "interior"))):
        raise refuse(f"{element}.interior", "airspaces with holes are not supported")
    # Arcs end where the next segment starts, up to the file's rounding: points closer than 1 m are one point.
    kept: list[tuple[float, float]] = []
    for point in ring:
        if not kept or GEOD.inv(kept[-1][0], kept[-1][1], point[0], point[1])[2] >= 1.0:
            kept.append(point)
    if len(kept) > 1 and GEOD.inv(kept[0][0], kept[0][1], kept[-1][0], kept[-1][1])[2] < 1.0:
        kept.pop()
    try:
        return Polygon(vertices=tuple(kept))
    except ValidationError as exc:
        raise refuse(f"{element}.horizontalProjection", exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def _limit(volume, which: str, element: str):
    value_element = _child(volume, f"{which}Limit")
    if value_element is None or not (value_element.text or "").strip():
        return None
    value = value_element.text.strip().upper()
    unit = (value_element.get("uom") or "").upper()
    reference = _text(volume, f"{which}LimitReference").upper()
    text = f"{value}{' ' + unit if unit and unit != 'FL' else ''}{' ' + reference if reference else ''}".strip()
    if unit == "FL":
        text = f"FL{value}"
    if value in ("GND", "SFC"):
        return limit("SFC", text=value)
    if value == "UNL":
        return limit("UNL")
    if value in ("FLOOR", "CEILING"):
        raise refuse(f"{element}.{which}Limit", f"{value} refers to another airspace (not supported)")
    try:
        number = float(value)
    except ValueError:
        raise refuse(f"{element}.{which}Limit", f"{value!r} is not a number") from None
    if unit == "FL":
        return limit("FL", number, "FL", text=text)
    if not reference:
        raise refuse(f"{element}.{which}LimitReference", "missing")
    return limit({"SFC": "AGL", "MSL": "AMSL", "W84": "W84", "STD": "STD"}.get(reference, reference), number, unit or "M",
                 text=text, element=f"{element}.{which}Limit")


def _schedule(slice_, options: ImportOptions, element: str) -> list[TimeWindow]:
    rules = []
    for activation in _descendants(slice_, "AirspaceActivation"):
        if _text(activation, "status").upper() != "ACTIVE":
            continue
        for index, sheet in enumerate(_descendants(activation, "Timesheet")):
            at = f"{element}.Timesheet[{index}]"
            if _text(sheet, "excluded").upper() == "YES":
                continue
            day = _text(sheet, "day").upper() or "ANY"
            days = WORK_DAYS if day == "WORK_DAY" else ({"ANY"} if day not in {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"} else {day})
            try:
                begin = parse_clock(_text(sheet, "startTime") or "00:00", f"{at}.startTime")
                finish = parse_clock(_text(sheet, "endTime") or "24:00", f"{at}.endTime")
            except ValueError as exc:
                raise refuse(at, str(exc)) from None
            widen = _text(sheet, "daylightSavingAdjust").upper() == "YES" or _text(sheet, "timeReference").upper() not in ("", "UTC")
            rules.append((day_set(days, at), begin, finish, widen))
    if not rules:
        return []
    windows = weekly_windows([(d, b, f) for d, b, f, _ in rules], options.now, options.now + options.horizon)
    if any(widen for *_, widen in rules):
        windows = [TimeWindow(start=w.start - timedelta(hours=1), end=w.end + timedelta(hours=1)) for w in windows]
    return windows


def import_aixm(root, options: ImportOptions) -> ImportResult:
    result = ImportResult("AIXM 5.1")
    airspaces = [e for e in root.iter() if _local(e) == "Airspace" and "aixm" in (e.tag or "")]
    if not airspaces and _local(root) not in ("AIXMBasicMessage", "Airspace"):
        raise refuse(_local(root) or "root", "not an AIXM 5.1 message (no Airspace features)")
    for index, airspace in enumerate(airspaces):
        slices = [s for s in _descendants(airspace, "AirspaceTimeSlice")]
        slices = [s for s in slices if _text(s, "interpretation") in ("", "BASELINE", "SNAPSHOT")] or slices
        if not slices:
            result.skip(f"Airspace[{index}]", "no time slice")
            continue
        slice_ = slices[-1]
        designator = _text(slice_, "designator") or airspace.get(f"{{{GML}}}id") or f"Airspace[{index}]"
        kind = _text(slice_, "type").upper()
        element = f"Airspace[{index}] {designator}"
        if kind not in RESTRICTIONS:
            result.skip(designator, f"type {kind or '(none)'} is not a restriction area")
            continue
        volumes = list(_descendants(slice_, "AirspaceVolume"))
        if not volumes:
            result.skip(designator, "no geometry")
            continue
        if any(_child(v, "contributorAirspace") is not None for v in volumes):
            result.skip(designator, "composed of other airspaces (not supported: import its parts)")
            continue
        name = _text(slice_, "name") or designator
        schedule = _schedule(slice_, options, element)
        for k, volume in enumerate(volumes):
            at = f"{element}.AirspaceVolume[{k}]"
            lower, upper = _limit(volume, "lower", at), _limit(volume, "upper", at)
            if lower is None or upper is None:
                raise refuse(at, "lower and upper limits are required")
            footprint = _footprint(volume, at)
            identifier = designator if len(volumes) == 1 else f"{designator}#{k}"
            result.zones.append(build_zone(
                at, id=zone_id(options, "AIXM", identifier), agreement_id=options.agreement_id, identifier=identifier,
                name=f"{designator} {name}"[:200] if name != designator else designator, restriction=RESTRICTIONS[kind],
                footprint=footprint, lower=lower, upper=upper, schedule=schedule, terrain_m=options.terrain_m,
                message=f"AIXM {kind} {designator}", source=f"AIXM {options.source}".strip()[:200],
            ))
    return result
