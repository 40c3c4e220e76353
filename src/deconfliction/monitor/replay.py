"""Replaying recorded traffic through the monitor, in real time, faster, or as fast as possible.

Files follow the column conventions of the Python air-traffic ecosystem (pandas / `traffic`):
timestamp (UTC; epoch seconds or milliseconds, or ISO text), icao24, callsign, latitude, longitude,
altitude (barometric, ft), geoaltitude (geometric, ft, optional), groundspeed (kt), track (deg),
vertical_rate (ft/min), onground (optional); optional `party` and `notice_id` columns override the
party derived from the callsign and name the notice the aircraft flies under. Formats: JSON and
JSON.gz (an array of records), CSV, Parquet, and SBS logs (one BaseStation line per message).

The replay clock starts at the first report; every `cycle_s` of replay time it ingests the reports
up to that instant and runs one detection cycle at that instant.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from ..units import feet_per_minute_to_metres_per_second, feet_to_metres, knots_to_metres_per_second
from .monitor import CycleResult, Monitor
from .parties import PartyAssigner
from .reports import MalformedReport, PositionReport
from .sbs import SbsDecoder

REQUIRED = ("timestamp", "icao24", "latitude", "longitude")


def _is_sbs(path: Path) -> bool:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", errors="replace") as stream:
        return stream.readline().startswith("MSG,")


def read_table(path: str | Path, limit_rows: int | None = None):
    """The file as a pandas DataFrame with the conventional columns, sorted by time, timestamps in
    UTC epoch seconds (float)."""
    import pandas as pd

    path = Path(path)
    text_types = {"icao24": str, "callsign": str, "squawk": str}
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        frame = pd.read_parquet(path)
    elif name.endswith((".json", ".json.gz")):
        # json + from_records rather than read_json, which guesses types (an icao24 of digits
        # would become a number) and dates.
        with (gzip.open(path, "rt") if name.endswith(".gz") else open(path)) as stream:
            frame = pd.DataFrame.from_records(json.load(stream))
    elif name.endswith((".csv", ".csv.gz")):
        frame = pd.read_csv(path, dtype=text_types)
    else:
        raise ValueError(f"{path.name}: unknown format (expected .json, .json.gz, .csv, .parquet or an SBS log)")
    missing = [column for column in REQUIRED if column not in frame.columns]
    if missing:
        raise ValueError(f"{path.name}: missing columns {', '.join(missing)}")
    frame["timestamp"] = epoch_seconds(frame["timestamp"])
    frame = frame.sort_values("timestamp", kind="stable", ignore_index=True)
    if limit_rows is not None:
        frame = frame.head(limit_rows)
    return frame


def epoch_seconds(column) -> np.ndarray:
    """UTC epoch seconds from datetimes (naive ones are UTC), ISO text, or epoch s / ms numbers."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = pd.to_datetime(column, utc=True)
        return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=float)
        # Epoch milliseconds are > 1e11 for any date after 1973; epoch seconds stay below that until 5138.
        return values / 1000.0 if np.nanmedian(values) > 1e11 else values
    stamps = pd.to_datetime(column, utc=True, format="mixed")
    return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def _column(frame, name: str, convert: Callable | None = None) -> list:
    if name not in frame.columns:
        return [None] * len(frame)
    values = frame[name].to_numpy(dtype=float, na_value=np.nan)
    if convert is not None:
        values = convert(values)
    return [None if math.isnan(v) else v for v in values.tolist()]


def reports_from_table(frame, parties: PartyAssigner | None = None, skip_ground: bool = True) -> list[PositionReport]:
    """One report per row, converted to SI at this edge. Ground rows are left out by default."""
    parties = parties or PartyAssigner()
    if skip_ground and "onground" in frame.columns:
        frame = frame[~frame["onground"].fillna(False).astype(bool)]
    n = len(frame)
    text = lambda name: frame[name].astype(object).where(frame[name].notna(), None).tolist() if name in frame.columns else [None] * n
    icao24, callsign, party, notice = text("icao24"), text("callsign"), text("party"), text("notice_id")
    on_ground = frame["onground"].fillna(False).astype(bool).tolist() if "onground" in frame.columns else [False] * n
    columns = zip(
        frame["timestamp"].tolist(), icao24, callsign, party, notice,
        _column(frame, "latitude"), _column(frame, "longitude"),
        _column(frame, "altitude", feet_to_metres), _column(frame, "geoaltitude", feet_to_metres),
        _column(frame, "groundspeed", knots_to_metres_per_second), _column(frame, "track"),
        _column(frame, "vertical_rate", feet_per_minute_to_metres_per_second), on_ground,
    )
    reports = []
    for when, hexid, call, own_party, notice_id, lat, lon, alt, geo, speed, track, rate, ground in columns:
        hexid = str(hexid or "").strip().lower()
        call = call.strip() if isinstance(call, str) else None
        reports.append(PositionReport(
            party=str(own_party) if own_party else (parties(hexid, call) if hexid else ""),
            aircraft=hexid, time=when, lat=lat, lon=lon, altitude_m=alt, datum="AMSL",
            geometric_altitude_m=geo, ground_speed_ms=speed, track_deg=track, vertical_rate_ms=rate,
            callsign=call or None, notice_id=str(notice_id) if notice_id else None, on_ground=ground,
        ))
    return reports


def read_reports(path: str | Path, *, parties: PartyAssigner | None = None, skip_ground: bool = True,
                 limit_rows: int | None = None) -> tuple[list[PositionReport], int]:
    """Reports from a file in time order, and how many rows/lines could not be read at all."""
    path = Path(path)
    if _is_sbs(path):
        decoder = SbsDecoder(parties or PartyAssigner())
        reports, broken = [], 0
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", errors="replace") as stream:
            for number, line in enumerate(stream):
                if limit_rows is not None and number >= limit_rows:
                    break
                try:
                    report = decoder.decode(line)
                except MalformedReport:
                    broken += 1
                    continue
                if report is not None and not (skip_ground and report.on_ground):
                    reports.append(report)
        reports.sort(key=lambda r: r.time)
        return reports, broken
    return reports_from_table(read_table(path, limit_rows), parties, skip_ground), 0


@dataclass
class ReplaySummary:
    reports: int
    cycles: int
    first_time: float
    last_time: float
    wall_s: float
    max_aircraft: int


def replay(monitor: Monitor, reports: Sequence[PositionReport], *, speed: float | None = None, cycle_s: float = 1.0,
           on_cycle: Callable[[CycleResult, int], None] | None = None, sleep: Callable[[float], None] = time.sleep,
           wall_clock: Callable[[], float] = time.monotonic) -> ReplaySummary:
    """Feed time-ordered reports to the monitor, one cycle per `cycle_s` of replay time.
    `speed`: replay seconds per wall second (1 = real time); None = as fast as possible.
    `on_cycle(result, reports_done)` is called after each cycle."""
    start_wall = wall_clock()
    if not reports:
        return ReplaySummary(0, 0, math.nan, math.nan, 0.0, 0)
    first, last = reports[0].time, reports[-1].time
    cycles = max_aircraft = 0
    index, n = 0, len(reports)
    cycle_time = first
    while True:
        end = index
        while end < n and reports[end].time <= cycle_time:
            end += 1
        monitor.ingest(reports[index:end])
        index = end
        if speed is not None:
            delay = start_wall + (cycle_time - first) / speed - wall_clock()
            if delay > 0:
                sleep(delay)
        result = monitor.step(cycle_time)
        cycles += 1
        max_aircraft = max(max_aircraft, result.aircraft)
        if on_cycle:
            on_cycle(result, index)
        if index >= n:
            break
        cycle_time += cycle_s
    return ReplaySummary(n, cycles, first, last, wall_clock() - start_wall, max_aircraft)
