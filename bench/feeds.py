"""Surveillance feed decoding: messages per second for each input format, against SBS in the same run.

    .venv/bin/python bench/feeds.py                 # 20,000 reports of real traffic, 3 repeats
    .venv/bin/python bench/feeds.py --reports 5000 --repeats 1

The same real traffic (the first N position rows of ../shared/data/adsb/quickstart.json.gz, Paris
area, 2021-10-07) is encoded once per format, then decoded to PositionReports as a live feed would:
SBS lines (`MSG,3` + `MSG,4` per row, the baseline), Mode S Beast frames (an airborne-position frame
per row, even and odd alternating, with Beast escaping; the CPR pairing and local decoding included),
ASTERIX CAT021 and CAT062 (20 records per data block, as in a datagram) and OpenSky state vectors
(one snapshot object per second). Encoding is not timed. One core; the median of the repeats.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "monitor"))

from deconfliction.monitor.asterix import AsterixDecoder, encode_cat021, encode_cat062  # noqa: E402
from deconfliction.monitor.beast import BeastStream, ModeSDecoder, encode_beast_frame  # noqa: E402
from deconfliction.monitor.opensky import report_from_state  # noqa: E402
from deconfliction.monitor.parties import PartyAssigner  # noqa: E402
from deconfliction.monitor.replay import read_table, reports_from_table  # noqa: E402
from deconfliction.monitor.sbs import SbsDecoder, format_sbs  # noqa: E402

import modes_oracle  # noqa: E402  (the tests' Mode S encoder: CRC, CPR, message layout)

QUICKSTART = ROOT / ".." / "shared" / "data" / "adsb" / "quickstart.json.gz"


def traffic(n: int):
    if not QUICKSTART.exists():
        sys.exit(f"{QUICKSTART} is needed (../shared/data)")
    frame = read_table(QUICKSTART, limit_rows=n * 2)
    reports = [r for r in reports_from_table(frame) if r.has_position and r.has_velocity and r.altitude_m is not None]
    return reports[:n]


def encode_all(reports):
    sbs = []
    for r in reports:
        when = datetime.fromtimestamp(r.time, timezone.utc)
        sbs.append(format_sbs(3, r.aircraft, when, altitude_ft=r.altitude_m / 0.3048, lat=r.lat, lon=r.lon))
        sbs.append(format_sbs(4, r.aircraft, when, ground_speed_kt=r.ground_speed_ms * 3600 / 1852, track_deg=r.track_deg,
                              vertical_rate_fpm=(r.vertical_rate_ms or 0) * 60 / 0.3048))
    beast, parity = bytearray(), {}
    first = reports[0].time
    for r in reports:
        odd = parity[r.aircraft] = 1 - parity.get(r.aircraft, 1)
        message = modes_oracle.airborne_position_message(int(r.aircraft, 16), r.lat, r.lon,
                                                         max(-1000.0, r.altitude_m / 0.3048), odd)
        beast += encode_beast_frame(message, int((r.time - first) * 12e6))
    cat021 = [encode_cat021(reports[i:i + 20]) for i in range(0, len(reports), 20)]
    cat062 = [encode_cat062(reports[i:i + 20]) for i in range(0, len(reports), 20)]
    snapshots: dict[int, list] = {}
    for r in reports:
        snapshots.setdefault(int(r.time), []).append(
            [r.aircraft, r.callsign or "", "", r.time, r.time, r.lon, r.lat, r.altitude_m, False, r.ground_speed_ms,
             r.track_deg, r.vertical_rate_ms, None, None, None, False, 0])
    opensky = json.dumps([{"time": t, "states": s} for t, s in snapshots.items()])
    return {"sbs": (sbs, len(sbs)), "beast": (bytes(beast), len(reports)), "cat021": (cat021, len(reports)),
            "cat062": (cat062, len(reports)), "opensky": (opensky, len(reports))}


def decode(kind: str, payload, start: float) -> int:
    parties = PartyAssigner("icao24")
    if kind == "sbs":
        decoder = SbsDecoder(parties)
        return sum(1 for line in payload if decoder.decode(line) is not None)
    if kind == "beast":
        stream = BeastStream(ModeSDecoder(parties), start=start)
        return sum(len(stream.feed(payload[i:i + 65536])) for i in range(0, len(payload), 65536))
    if kind in ("cat021", "cat062"):
        decoder = AsterixDecoder(parties)
        return sum(len(decoder.decode(datagram, start)) for datagram in payload)
    count = 0
    for snapshot in json.loads(payload):
        for state in snapshot["states"]:
            report_from_state(state, parties)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    reports = traffic(args.reports)
    encoded = encode_all(reports)
    table = Table(title=f"Feed decoding, {len(reports)} reports of real traffic (one core, median of {args.repeats})")
    for column in ("format", "messages", "reports out", "seconds", "messages/s", "vs SBS"):
        table.add_column(column, justify="right")
    baseline = None
    for kind, (payload, messages) in encoded.items():
        times, out = [], 0
        for _ in range(args.repeats):
            began = time.perf_counter()
            out = decode(kind, payload, reports[0].time)
            times.append(time.perf_counter() - began)
        seconds = statistics.median(times)
        rate = messages / seconds
        baseline = baseline or rate
        table.add_row(kind, f"{messages:,}", f"{out:,}", f"{seconds:.3f}", f"{rate:,.0f}", f"{rate / baseline:.2f}×")
    console.print(table)


if __name__ == "__main__":
    main()
