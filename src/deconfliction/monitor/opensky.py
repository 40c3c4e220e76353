"""OpenSky Network state vectors, as its REST API returns them (`GET /api/states/all`) and as
people save them: one response object `{"time": T, "states": [[...], ...]}` per file, a JSON array
of such objects, or one object per line (JSON Lines). Plain or gzipped.

Each state vector is a positional array: 0 icao24, 1 callsign, 2 origin country, 3 time_position,
4 last_contact (UTC epoch s), 5 longitude, 6 latitude, 7 baro_altitude (m), 8 on_ground, 9 velocity
(m/s over ground), 10 true_track (deg), 11 vertical_rate (m/s), 12 sensors, 13 geo_altitude (m),
14 squawk, 15 spi, 16 position_source, [17 category]. Already SI: nothing is converted. Read: 0, 1,
3–11, 13; the rest is ignored. A state whose position is older than its last contact keeps its
position's time (OpenSky repeats positions for up to 15 s).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from .parties import PartyAssigner
from .reports import PositionReport, problem_with


def _snapshots(path: Path) -> Iterator[Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as stream:
        text = stream.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from json.loads(text)
        return
    try:
        yield json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def looks_like_opensky(path: Path) -> bool:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", errors="replace") as stream:
        head = stream.read(4096)
    return '"states"' in head


def report_from_state(state: list, parties: PartyAssigner) -> PositionReport:
    """One report from one state vector; ValueError naming the problem."""
    if not isinstance(state, list) or len(state) < 17:
        raise ValueError(f"a state vector has at least 17 fields (got {len(state) if isinstance(state, list) else type(state).__name__})")
    icao24, callsign = state[0], state[1]
    if not isinstance(icao24, str) or not icao24.strip():
        raise ValueError("icao24 (field 0) missing")
    icao24 = icao24.strip().lower()
    callsign = callsign.strip() or None if isinstance(callsign, str) else None
    when = state[3] if state[3] is not None else state[4]
    lon, lat = state[5], state[6]
    has_position = state[3] is not None and lat is not None and lon is not None
    speed, track = state[9], state[10]
    report = PositionReport(
        party=parties(icao24, callsign), aircraft=icao24, time=when, callsign=callsign,
        lat=lat if has_position else None, lon=lon if has_position else None,
        altitude_m=state[7], datum="AMSL", geometric_altitude_m=state[13],
        ground_speed_ms=speed if speed is not None and track is not None else None,
        track_deg=track if speed is not None and track is not None else None,
        vertical_rate_ms=state[11], on_ground=bool(state[8]),
    )
    reason = problem_with(report)
    if reason:
        raise ValueError(reason)
    return report


def read_opensky(path: str | Path, *, parties: PartyAssigner | None = None,
                 skip_ground: bool = True) -> tuple[list[PositionReport], Counter]:
    """Reports of all snapshots in time order, and the malformed state vectors counted by reason."""
    parties = parties or PartyAssigner()
    reports: list[PositionReport] = []
    malformed: Counter = Counter()
    for snapshot in _snapshots(Path(path)):
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("states") or [], list):
            malformed["snapshot is not an object with a 'states' array"] += 1
            continue
        for state in snapshot.get("states") or []:
            try:
                report = report_from_state(state, parties)
            except (ValueError, TypeError) as exc:
                malformed[str(exc)] += 1
                continue
            if not (skip_ground and report.on_ground):
                reports.append(report)
    reports.sort(key=lambda r: r.time)
    return reports, malformed
