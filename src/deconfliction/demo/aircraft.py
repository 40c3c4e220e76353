"""The live part of `deconfliction demo`: aircraft over the demo's wildfire, fed to the tactical monitor
while the server runs.

Simulated aircraft fly the story: calfire's air tanker on a circuit over the fire, the sheriff's drone
orbiting its mapping area and skyview's news helicopter crossing the tanker's circuit — so alerts
between parties happen every few minutes, naming the fire's air-to-air channel. When recorded ADS-B is
at hand (`../shared/data/adsb/calfire.json.gz`, or `--tracks FILE`), its aircraft fly too, shifted in
time so that the recording starts now, as the aircraft of one party (calfire by default: the recording
is of firefighting aircraft). Reports go to the monitor as the party that owns the aircraft, as
`POST /v1/tracks` would hand them over.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from pyproj import Geod

from ..units import feet_to_metres

log = logging.getLogger(__name__)
GEOD = Geod(ellps="WGS84")
DEFAULT_RECORDING = Path("adsb") / "calfire.json.gz"


def shared_data_dirs() -> list[Path]:
    """Where ../shared/data may be: beside the working directory, or beside the project the package is in."""
    package_root = Path(__file__).resolve().parents[2]
    return [Path.cwd() / ".." / "shared" / "data", package_root / ".." / "shared" / "data"]


def find_recording() -> Path | None:
    for folder in shared_data_dirs():
        candidate = folder / DEFAULT_RECORDING
        if candidate.is_file():
            return candidate.resolve()
    return None


# Simulated aircraft ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Orbit:
    """An aircraft flying a circle (clockwise) at a constant speed and altitude."""

    party: str
    aircraft: str
    callsign: str
    lon: float
    lat: float
    radius_m: float
    speed_ms: float
    altitude_ft: float
    phase_deg: float = 0.0

    def at(self, t: float) -> dict:
        bearing = (self.phase_deg + math.degrees(self.speed_ms * t / self.radius_m)) % 360.0
        lon, lat, _ = GEOD.fwd(self.lon, self.lat, bearing, self.radius_m)
        return _report(self, float(lon), float(lat), (bearing + 90.0) % 360.0, t)


@dataclass(frozen=True)
class Shuttle:
    """An aircraft flying back and forth between two points at a constant speed and altitude."""

    party: str
    aircraft: str
    callsign: str
    start: tuple[float, float]
    end: tuple[float, float]
    speed_ms: float
    altitude_ft: float

    def at(self, t: float) -> dict:
        forward, back, length = GEOD.inv(*self.start, *self.end)
        leg = self.speed_ms * t % (2 * length)
        if leg <= length:
            lon, lat, _ = GEOD.fwd(*self.start, forward, leg)
            track = forward
        else:
            lon, lat, _ = GEOD.fwd(*self.end, back, leg - length)
            track = back
        return _report(self, float(lon), float(lat), track % 360.0, t)


def _report(flight, lon: float, lat: float, track: float, t: float) -> dict:
    return dict(
        aircraft=flight.aircraft, callsign=flight.callsign, lon=lon, lat=lat, altitude_m=feet_to_metres(flight.altitude_ft),
        datum="AMSL", ground_speed_ms=flight.speed_ms, track_deg=track, vertical_rate_ms=0.0,
    )


# Over the demo's fire (story.py): the tanker's circuit, the sheriff's mapping area, skyview's news orbit.
SIMULATED = (
    Orbit("calfire", "a1f001", "TKR101", lon=-122.60, lat=38.82, radius_m=4_000, speed_ms=75, altitude_ft=1_800),
    Orbit("sheriff", "a2f002", "UAS7", lon=-122.565, lat=38.80, radius_m=500, speed_ms=15, altitude_ft=1_500, phase_deg=90),
    Shuttle("skyview", "a3f003", "SKY1", start=(-122.50, 38.87), end=(-122.66, 38.76), speed_ms=45, altitude_ft=2_000),
)


def simulated_reports(t: float, epoch: float) -> list[tuple[str, dict]]:
    """(party, report) of every simulated aircraft `t` seconds into the demo (report time epoch + t)."""
    return [(flight.party, dict(flight.at(t), time=epoch + t)) for flight in SIMULATED]


# Recorded aircraft -----------------------------------------------------------------------------------
def recorded_reports(path: Path, limit_rows: int | None = None) -> list[tuple[float, dict]]:
    """(seconds since the recording's start, report) for every airborne row, in time order."""
    from ..monitor.replay import read_reports

    reports, _ = read_reports(path, limit_rows=limit_rows)
    if not reports:
        return []
    first = reports[0].time
    out = []
    for r in reports:
        if r.lat is None or r.lon is None:
            continue
        report = dict(aircraft=r.aircraft, callsign=r.callsign, lon=r.lon, lat=r.lat, ground_speed_ms=r.ground_speed_ms,
                      track_deg=r.track_deg, vertical_rate_ms=r.vertical_rate_ms)
        if r.altitude_m is not None:
            report.update(altitude_m=r.altitude_m, datum="AMSL")
        out.append((r.time - first, report))
    return out


class Feeder:
    """Every `interval_s`, hands the reports that came due to `ingest(party, reports)`: the simulated
    aircraft's positions now, and the recording's rows up to now (shifted so that it starts when the
    feeder does)."""

    def __init__(self, ingest: Callable[[str, list[dict]], object], recording: Iterable[tuple[float, dict]] = (),
                 recording_party: str = "calfire", clock: Callable[[], float] = time.time, interval_s: float = 1.0):
        self.ingest = ingest
        self.recording = list(recording)
        self.recording_party = recording_party
        self.clock = clock
        self.interval_s = interval_s
        self.started = clock()
        self._next = 0
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def feed(self, now: float | None = None) -> int:
        now = self.clock() if now is None else now
        t = now - self.started
        by_party: dict[str, list[dict]] = {}
        for party, report in simulated_reports(t, self.started):
            by_party.setdefault(party, []).append(report)
        while self._next < len(self.recording) and self.recording[self._next][0] <= t:
            offset, report = self.recording[self._next]
            by_party.setdefault(self.recording_party, []).append(dict(report, time=self.started + offset))
            self._next += 1
        count = 0
        for party, reports in by_party.items():
            for start in range(0, len(reports), 5_000):
                self.ingest(party, reports[start : start + 5_000])
                count += len(reports[start : start + 5_000])
        self.sent += count
        return count

    def start(self) -> "Feeder":
        self._thread = threading.Thread(target=self._run, name="deconfliction-demo-tracks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.feed()
            except Exception:  # noqa: BLE001 - a bad batch must not end the demo
                log.exception("demo: feeding tracks failed")
            self._stop.wait(self.interval_s)
