"""Position reports: what one aircraft said (or a sensor saw) at one instant, in SI units.

Feeds differ in what one message carries: a file row has everything, an SBS `MSG,3` line only the
position, `MSG,4` only the velocity. So position and velocity are each optional, but a report must
carry at least one of them, and whatever it carries must make sense; `problem_with` names the first
thing that does not, so that a bad report is counted with its reason instead of crashing anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

DATUMS = ("AMSL", "W84")


class MalformedReport(ValueError):
    """A report that cannot be used; the message is the reason."""


@dataclass(frozen=True, slots=True)
class PositionReport:
    """One report. `altitude_m` is in `datum`: "AMSL" for barometric altitude (treated as height
    above mean sea level) or "W84" for height above the WGS84 ellipsoid. A source that also knows
    the geometric height (GNSS, OpenSky's `geoaltitude`) gives it in `geometric_altitude_m` (W84)."""

    party: str
    aircraft: str
    time: float  # UTC epoch seconds
    lat: float | None = None
    lon: float | None = None
    altitude_m: float | None = None
    datum: str = "AMSL"
    geometric_altitude_m: float | None = None
    ground_speed_ms: float | None = None
    track_deg: float | None = None
    vertical_rate_ms: float | None = None
    callsign: str | None = None
    notice_id: str | None = None
    on_ground: bool = False

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def has_velocity(self) -> bool:
        return self.ground_speed_ms is not None and self.track_deg is not None


def _bad_number(value: float | None) -> bool:
    return value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value))


def problem_with(report: PositionReport) -> str | None:
    """Why the report cannot be used, or None if it can."""
    if not isinstance(report.party, str) or not report.party:
        return "missing party"
    if not isinstance(report.aircraft, str) or not report.aircraft:
        return "missing aircraft id"
    if _bad_number(report.time) or report.time is None:
        return "missing or non-finite time"
    if not 0 < report.time < 1e10:
        return f"time {report.time!r} is not UTC epoch seconds"
    for name in ("lat", "lon", "altitude_m", "geometric_altitude_m", "ground_speed_ms", "track_deg", "vertical_rate_ms"):
        if _bad_number(getattr(report, name)):
            return f"{name} is not a finite number ({getattr(report, name)!r})"
    if (report.lat is None) != (report.lon is None):
        return "latitude without longitude (or the reverse)"
    if (report.ground_speed_ms is None) != (report.track_deg is None):
        return "ground speed without track (or the reverse)"
    if not report.has_position and not report.has_velocity:
        return "neither a position nor a velocity"
    if report.has_position:
        if not -90.0 <= report.lat <= 90.0:
            return f"latitude {report.lat} outside [-90, 90]"
        if not -180.0 <= report.lon <= 180.0:
            return f"longitude {report.lon} outside [-180, 180]"
    if report.datum not in DATUMS:
        return f"unknown altitude datum {report.datum!r} (use AMSL or W84)"
    for name in ("altitude_m", "geometric_altitude_m"):
        value = getattr(report, name)
        if value is not None and not -2_000.0 <= value <= 100_000.0:
            return f"{name} {value} m is not an aircraft altitude"
    if report.ground_speed_ms is not None and not 0.0 <= report.ground_speed_ms <= 1_500.0:
        return f"ground speed {report.ground_speed_ms} m/s out of range"
    if report.track_deg is not None and not -360.0 <= report.track_deg <= 360.0:
        return f"track {report.track_deg} degrees out of range"
    if report.vertical_rate_ms is not None and abs(report.vertical_rate_ms) > 200.0:
        return f"vertical rate {report.vertical_rate_ms} m/s out of range"
    return None


_FIELDS = set(PositionReport.__dataclass_fields__)


def report_from_mapping(data: Mapping[str, Any]) -> PositionReport:
    """A report from a mapping with the same (SI) field names, e.g. a JSON object of a batch.
    Raises MalformedReport naming the problem."""
    if not isinstance(data, Mapping):
        raise MalformedReport(f"expected an object, got {type(data).__name__}")
    unknown = set(data) - _FIELDS
    if unknown:
        raise MalformedReport(f"unknown fields: {', '.join(sorted(unknown))}")
    try:
        report = PositionReport(**data)
    except TypeError as exc:
        raise MalformedReport(str(exc)) from None
    reason = problem_with(report)
    if reason:
        raise MalformedReport(reason)
    return report
