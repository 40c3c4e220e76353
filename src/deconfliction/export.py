"""An agreement's notices, conflicts and zones as files for other tools: KML (Google Earth: volumes
extruded to their upper altitude with a floor at their lower one, and a TimeSpan each so the time
slider works), GeoJSON (QGIS and any web map) and CSV (conflicts, for spreadsheets).

What goes in is what the viewer may see through the API (invariant 3): its own notices in full
(with its private reference), others' minimised (id, party, volumes, state, version, filing time,
lead time), and only the conflicts it is a party to. `gather` collects that; the writers are pure.

Geometry: polygon edges are geodesics, so long edges are written with extra points every 10 km
(a straight line between two vertices on a map is not the edge); circles become 72-sided rings.
Altitudes are metres above the volume's datum; KML `absolute` means above mean sea level, so W84
heights are written as they are (the geoid, at most ~107 m, is not applied: the datum is named
in each placemark's data).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from pyproj import Geod

from .geometry import Circle, Volume4D

GEOD = Geod(ellps="WGS84")
EDGE_STEP_M = 10_000.0
CIRCLE_SIDES = 72
FORMATS = ("kml", "geojson", "csv")
MEDIA_TYPES = {"kml": "application/vnd.google-earth.kml+xml", "geojson": "application/geo+json", "csv": "text/csv"}
CONFLICT_COLUMNS = (
    "id", "agreement_id", "state", "notice_a", "party_a", "notice_b", "party_b", "lateral_m", "vertical_m",
    "time_start", "time_end", "where_lon", "where_lat", "channel", "channel_contact", "opened_at", "cleared_at",
    "acknowledged_a", "acknowledged_b",
)


@dataclass
class Bundle:
    """What one viewer may see of one agreement: notices as dicts (Notice.seen_by), Conflict
    records, and Zone records."""

    agreement_id: str
    viewer: str | None
    notices: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[Any] = field(default_factory=list)
    zones: list[Any] = field(default_factory=list)


def gather(system, viewer: str, agreement_id: str, *, include_zones: bool = True) -> Bundle:
    """The bundle for `viewer`, through the same rules as the API (NotFound if not a member)."""
    notices, after = [], None
    while True:
        page = system.notices(viewer, agreement_id=agreement_id, limit=1000, after_id=after)
        notices.extend(page)
        if len(page) < 1000:
            break
        after = page[-1].id
    conflicts, after = [], None
    while True:
        page = system.conflicts(viewer, agreement_id=agreement_id, open_only=False, limit=1000, after_id=after)
        conflicts.extend(page)
        if len(page) < 1000:
            break
        after = page[-1].id
    zones = []
    if include_zones:
        zones = system.zones(viewer, agreement_id)
    return Bundle(agreement_id, viewer, [n.seen_by(viewer) for n in notices], conflicts, zones)


def ring_of(footprint) -> list[tuple[float, float]]:
    """A closed lon/lat ring that follows the footprint's real (geodesic) edges."""
    if isinstance(footprint, Circle):
        azimuths = [360.0 * k / CIRCLE_SIDES for k in range(CIRCLE_SIDES)]
        lons, lats, _ = GEOD.fwd([footprint.lon] * CIRCLE_SIDES, [footprint.lat] * CIRCLE_SIDES, azimuths,
                                 [footprint.radius_m] * CIRCLE_SIDES)
        ring = list(zip(lons, lats))
    else:
        vertices = list(footprint.vertices)
        ring = []
        for (lon1, lat1), (lon2, lat2) in zip(vertices, vertices[1:] + vertices[:1]):
            ring.append((lon1, lat1))
            _, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
            extra = int(length // EDGE_STEP_M)
            if extra > 0:
                ring.extend(GEOD.npts(lon1, lat1, lon2, lat2, extra))
    ring = [(float(lon), float(lat)) for lon, lat in ring]
    return ring + [ring[0]]


def _iso(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat().replace("+00:00", "Z")


def _volume(data: dict | Volume4D) -> Volume4D:
    return data if isinstance(data, Volume4D) else Volume4D.model_validate(data, context={"trusted": True})


def _notice_pieces(notice: dict) -> Iterable[tuple[int, Volume4D, dict]]:
    base = {key: notice[key] for key in ("id", "party_id", "state", "version", "filed_at", "lead_time_s") if key in notice}
    reference = (notice.get("private") or {}).get("reference")
    if reference:
        base["reference"] = reference  # present only in the viewer's own notices
    for index, raw in enumerate(notice["volumes"]):
        yield index, _volume(raw), base


def _zone_properties(zone) -> dict:
    lower, upper = zone.limits_text()
    return {"kind": "zone", "id": zone.id, "name": zone.name, "restriction": zone.restriction,
            "lower": lower, "upper": upper, "message": zone.message, "contact": zone.contact, "source": zone.source,
            "manager": zone.manager, "version": zone.version,
            "schedule": [[_iso(w.start), _iso(w.end)] for w in zone.schedule]}


def _conflict_row(conflict) -> dict:
    channel = conflict.channel
    return {
        "id": conflict.id, "agreement_id": conflict.agreement_id, "state": conflict.state,
        "notice_a": conflict.notice_a, "party_a": conflict.party_a, "notice_b": conflict.notice_b, "party_b": conflict.party_b,
        "lateral_m": round(conflict.lateral_m, 3), "vertical_m": round(conflict.vertical_m, 3),
        "time_start": _iso(conflict.time_start), "time_end": _iso(conflict.time_end),
        "where_lon": conflict.where[0], "where_lat": conflict.where[1],
        "channel": channel.name if channel else "", "channel_contact": channel.contact if channel else "",
        "opened_at": _iso(conflict.opened_at), "cleared_at": _iso(conflict.cleared_at) or "",
        "acknowledged_a": _iso(conflict.acknowledged_a) or "", "acknowledged_b": _iso(conflict.acknowledged_b) or "",
    }


def to_geojson(bundle: Bundle) -> dict:
    """A FeatureCollection: a Polygon per notice volume and per zone, a Point per conflict."""
    features = []
    for notice in bundle.notices:
        for index, volume, base in _notice_pieces(notice):
            features.append({
                "type": "Feature", "id": f"{base['id']}/{index}",
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring_of(volume.footprint)]]},
                "properties": {"kind": "notice", **base, "volume": index,
                               "lower_m": volume.altitude.lower_m, "upper_m": volume.altitude.upper_m, "datum": volume.altitude.datum,
                               "start": _iso(volume.time.start), "end": _iso(volume.time.end)},
            })
    for conflict in bundle.conflicts:
        features.append({"type": "Feature", "id": conflict.id,
                         "geometry": {"type": "Point", "coordinates": list(conflict.where)},
                         "properties": {"kind": "conflict", **_conflict_row(conflict)}})
    for zone in bundle.zones:
        pieces = zone.pieces() if zone.extents else zone.pieces()[:1]  # a schedule is in the properties
        for index, (footprint, band, window) in enumerate(pieces):
            properties = {**_zone_properties(zone), "lower_m": band.lower_m, "upper_m": band.upper_m, "datum": band.datum}
            if zone.extents:
                properties.update(volume=index, start=_iso(window.start), end=_iso(window.end))
            features.append({
                "type": "Feature", "id": zone.id if len(pieces) == 1 else f"{zone.id}/{index}",
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring_of(footprint)]]},
                "properties": properties,
            })
    return {"type": "FeatureCollection", "name": bundle.agreement_id, "features": features}


def conflicts_csv(bundle: Bundle) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CONFLICT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for conflict in bundle.conflicts:
        writer.writerow(_conflict_row(conflict))
    return out.getvalue()


def to_kml(bundle: Bundle) -> str:
    from fastkml import Data, Document, ExtendedData, Folder, KmlDateTime, MultiGeometry, Placemark, Point, Polygon, TimeSpan
    from fastkml import kml
    from fastkml.enums import AltitudeMode
    import pygeoif.geometry as shapes

    def solid(footprint, lower_m: float, upper_m: float) -> MultiGeometry:
        ring = ring_of(footprint)
        roof = Polygon(geometry=shapes.Polygon([(lon, lat, upper_m) for lon, lat in ring]), extrude=True,
                       altitude_mode=AltitudeMode.absolute)
        floor = Polygon(geometry=shapes.Polygon([(lon, lat, lower_m) for lon, lat in ring]), altitude_mode=AltitudeMode.absolute)
        return MultiGeometry(kml_geometries=[roof, floor])

    def data(values: dict) -> ExtendedData:
        return ExtendedData(elements=[Data(name=k, value="" if v is None else str(v)) for k, v in values.items()])

    def span(start: datetime, end: datetime) -> TimeSpan:
        return TimeSpan(begin=KmlDateTime(start), end=KmlDateTime(end))

    notices = []
    for notice in bundle.notices:
        for index, volume, base in _notice_pieces(notice):
            notices.append(Placemark(
                name=f"{base['party_id']} {base['id'][:8]} #{index}", times=span(volume.time.start, volume.time.end),
                kml_geometry=solid(volume.footprint, volume.altitude.lower_m, volume.altitude.upper_m),
                extended_data=data({**base, "volume": index, "lower_m": volume.altitude.lower_m,
                                    "upper_m": volume.altitude.upper_m, "datum": volume.altitude.datum}),
            ))
    conflicts = [
        Placemark(name=f"conflict {c.party_a} × {c.party_b}", times=span(c.time_start, c.time_end),
                  kml_geometry=Point(geometry=shapes.Point(c.where[0], c.where[1])), extended_data=data(_conflict_row(c)))
        for c in bundle.conflicts
    ]
    zones = []
    for zone in bundle.zones:
        # one placemark per active window (or constraint volume), so the time slider shows when it applies
        for footprint, band, window in zone.pieces():
            properties = {**_zone_properties(zone), "lower_m": band.lower_m, "upper_m": band.upper_m, "datum": band.datum}
            properties["schedule"] = json.dumps(properties["schedule"])
            zones.append(Placemark(
                name=f"{zone.restriction}: {zone.name}", description=zone.message or None,
                times=span(window.start, window.end) if window else None,
                kml_geometry=solid(footprint, band.lower_m, band.upper_m), extended_data=data(properties),
            ))
    document = Document(name=f"agreement {bundle.agreement_id}", features=[
        Folder(name="Notices", features=notices), Folder(name="Conflicts", features=conflicts), Folder(name="Zones", features=zones),
    ])
    return kml.KML(features=[document]).to_string(prettyprint=True)


def render(bundle: Bundle, file_format: str) -> str:
    if file_format == "kml":
        return to_kml(bundle)
    if file_format == "geojson":
        return json.dumps(to_geojson(bundle), indent=1)
    if file_format == "csv":
        return conflicts_csv(bundle)
    raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {file_format!r})")
