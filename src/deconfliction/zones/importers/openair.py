"""OpenAir airspace text files (the gliding community's format, as written by openAIP and others).

Read: AC class, AN name, AL/AH limits, DP points, V X= (centre) and V D= (direction), DA
(arc by radius and angles), DB (arc between two points), DC (circle), and the extended format's
AY type and AI identifier. Ignored: AF/AG frequencies and station, SP/SB styling, AA activation
times (the zone is taken as always active, the conservative reading), comments. Airways (V W=,
DY) are skipped with their reason.

Classes: P → prohibited; R, CTR and classes A–D → authorisation required; Q (danger), GP, TMZ,
RMZ, W → conditional; E, F, G, GSEC and others → information.
Limits: GND/SFC, UNL/UNLTD, FL95, "1500ft MSL|AMSL", "2000ft AGL|GND|SFC", metres with "m";
feet by default. Arcs are along a circle of the given radius (NM) and written every 2°.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from pyproj import Geod

from ...geometry import Circle, Polygon
from ...units import nautical_miles_to_metres
from .common import ImportOptions, ImportResult, build_zone, limit, refuse, zone_id

GEOD = Geod(ellps="WGS84")
ARC_STEP_DEG = 2.0
CLASSES = {"P": "prohibited", "R": "authorisation_required", "CTR": "authorisation_required", "A": "authorisation_required",
           "B": "authorisation_required", "C": "authorisation_required", "D": "authorisation_required",
           "Q": "conditional", "GP": "conditional", "TMZ": "conditional", "RMZ": "conditional", "W": "conditional"}
COORDINATE = re.compile(
    r"^\s*(\d{1,3})[:\s](\d{1,2})(?:[:\s](\d{1,2}(?:\.\d+)?))?\s*([NS])\s*,?\s*(\d{1,3})[:\s](\d{1,2})(?:[:\s](\d{1,2}(?:\.\d+)?))?\s*([EW])\s*$",
    re.IGNORECASE,
)
ALTITUDE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(FT|F|M)?\s*(MSL|AMSL|AGL|GND|SFC|ASFC|STD)?\s*$", re.IGNORECASE)


def coordinate(text: str, element: str) -> tuple[float, float]:
    """'53:24:25 N 010:25:10 E' (or with decimal minutes) as (lon, lat)."""
    match = COORDINATE.match(text.replace(" ,", ","))
    if not match:
        raise refuse(element, f"{text.strip()!r} is not a coordinate (DD:MM:SS N DDD:MM:SS E)")
    d1, m1, s1, ns, d2, m2, s2, ew = match.groups()
    if int(m1) >= 60 or int(m2) >= 60 or float(s1 or 0) >= 60 or float(s2 or 0) >= 60:
        raise refuse(element, f"{text.strip()!r}: minutes and seconds must be below 60")
    lat = int(d1) + int(m1) / 60 + float(s1 or 0) / 3600
    lon = int(d2) + int(m2) / 60 + float(s2 or 0) / 3600
    return (-lon if ew.upper() == "W" else lon), (-lat if ns.upper() == "S" else lat)


def altitude(text: str, element: str):
    raw = text.strip().upper()
    if raw in ("GND", "SFC", "0", "0FT", "0 FT"):
        return limit("SFC", text=raw)
    if raw in ("UNL", "UNLTD", "UNLIM", "UNLIMITED"):
        return limit("UNL")
    flight_level = re.match(r"^FL\s*(\d+)$", raw)
    if flight_level:
        return limit("FL", float(flight_level.group(1)), "FL", text=raw)
    match = ALTITUDE.match(raw)
    if not match:
        raise refuse(element, f"{text.strip()!r} is not an altitude (GND, FL95, 1500ft MSL, 2000ft AGL, UNL)")
    value, unit, reference = match.groups()
    unit = "M" if (unit or "FT").upper() == "M" else "FT"
    reference = {"MSL": "AMSL", "AMSL": "AMSL", "AGL": "AGL", "GND": "AGL", "SFC": "AGL", "ASFC": "AGL", "STD": "STD"}.get(
        (reference or "MSL").upper())
    return limit(reference, float(value), unit, text=raw, element=element)


def _arc(centre, radius_m: float, start_deg: float, end_deg: float, clockwise: bool) -> list[tuple[float, float]]:
    sweep = (end_deg - start_deg) % 360.0 if clockwise else -((start_deg - end_deg) % 360.0)
    if sweep == 0:
        sweep = 360.0 if clockwise else -360.0
    steps = max(2, int(abs(sweep) / ARC_STEP_DEG) + 1)
    bearings = [start_deg + sweep * k / steps for k in range(steps + 1)]
    lons, lats, _ = GEOD.fwd([centre[0]] * len(bearings), [centre[1]] * len(bearings), bearings, [radius_m] * len(bearings))
    return list(zip(lons, lats))


class _Block:
    def __init__(self, line: int):
        self.line = line
        self.fields: dict[str, str] = {}
        self.points: list[tuple[float, float]] = []
        self.circle: tuple[tuple[float, float], float] | None = None
        self.centre: tuple[float, float] | None = None
        self.clockwise = True
        self.airway = False


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    block: _Block | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("*", 1)[0].strip() if not raw.lstrip().startswith("*") else ""
        if not line:
            continue
        command, _, rest = line.partition(" ")
        command = command.upper()
        element = f"line {number}"
        if command == "AC":
            block = _Block(number)
            blocks.append(block)
            block.fields["AC"] = rest.strip().upper()
            continue
        if block is None:
            raise refuse(element, f"{command} before the first AC")
        if command in ("AN", "AL", "AH", "AY", "AI"):
            block.fields[command] = rest.strip()
        elif command == "DP":
            block.points.append(coordinate(rest, element))
        elif command == "V":
            key, _, value = rest.partition("=")
            key = key.strip().upper()
            if key == "X":
                block.centre = coordinate(value, element)
            elif key == "D":
                block.clockwise = value.strip() != "-"
            elif key == "W":
                block.airway = True
        elif command == "DC":
            if block.centre is None:
                raise refuse(element, "DC without a centre (V X=)")
            try:
                block.circle = (block.centre, nautical_miles_to_metres(float(rest)))
            except ValueError:
                raise refuse(element, f"{rest.strip()!r} is not a radius in NM") from None
        elif command == "DA":
            if block.centre is None:
                raise refuse(element, "DA without a centre (V X=)")
            try:
                radius, start, end = (float(v) for v in rest.split(","))
            except ValueError:
                raise refuse(element, "DA needs radius (NM), start and end angles") from None
            block.points += _arc(block.centre, nautical_miles_to_metres(radius), start, end, block.clockwise)
        elif command == "DB":
            if block.centre is None:
                raise refuse(element, "DB without a centre (V X=)")
            first, _, second = rest.partition(",")
            a, b = coordinate(first, element), coordinate(second, element)
            start, _, radius = GEOD.inv(block.centre[0], block.centre[1], a[0], a[1])
            end, _, _ = GEOD.inv(block.centre[0], block.centre[1], b[0], b[1])
            block.points += _arc(block.centre, radius, start, end, block.clockwise)
        elif command == "DY":
            block.airway = True
        # AF, AG, AA, SP, SB, AT and unknown commands carry nothing a zone uses
    return blocks


def import_openair(text: str, options: ImportOptions) -> ImportResult:
    result = ImportResult("OpenAir")
    seen: dict[str, int] = {}
    blocks = _blocks(text)
    if not blocks:
        raise refuse("AC", "no airspace (no AC line) in the file")
    for block in blocks:
        element = f"line {block.line}"
        name = block.fields.get("AN", "").strip() or f"airspace at line {block.line}"
        kind = (block.fields.get("AY") or block.fields["AC"]).upper()
        base = block.fields.get("AI") or name
        seen[base] = seen.get(base, 0) + 1
        identifier = base if seen[base] == 1 else f"{base}#{seen[base]}"
        if block.airway:
            result.skip(identifier, "airways (V W=, DY) are not areas")
            continue
        restriction = CLASSES.get(kind, CLASSES.get(block.fields["AC"], "information"))
        if "AL" not in block.fields or "AH" not in block.fields:
            raise refuse(element, f"{name}: AL and AH are required")
        lower = altitude(block.fields["AL"], f"{element} AL")
        upper = altitude(block.fields["AH"], f"{element} AH")
        try:
            if block.circle is not None and not block.points:
                (lon, lat), radius = block.circle
                footprint = Circle(lon=lon, lat=lat, radius_m=radius)
            else:
                points = [p for i, p in enumerate(block.points) if i == 0 or GEOD.inv(*block.points[i - 1], *p)[2] >= 1.0]
                if len(points) > 1 and GEOD.inv(*points[0], *points[-1])[2] < 1.0:
                    points.pop()
                footprint = Polygon(vertices=tuple(points))
        except ValidationError as exc:
            raise refuse(element, f"{name}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        result.zones.append(build_zone(
            element, id=zone_id(options, "OpenAir", identifier), agreement_id=options.agreement_id, identifier=identifier,
            name=name[:200], restriction=restriction, footprint=footprint, lower=lower, upper=upper,
            terrain_m=options.terrain_m, message=f"OpenAir class {block.fields['AC']}", source=f"OpenAir {options.source}".strip()[:200],
        ))
    return result
