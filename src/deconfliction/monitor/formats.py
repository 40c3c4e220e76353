"""Which reader a track file needs: tables (JSON/CSV/Parquet) and SBS logs (replay.py), Mode S Beast
binary (beast.py), ASTERIX CAT021/062 (asterix.py) and OpenSky state vectors (opensky.py).

`read_track_file(path, "auto")` looks at the first bytes: a Beast frame marker, an ASTERIX data block
header of category 21 or 62 whose length fits the file, or an OpenSky `"states"` array; anything else
goes to the table/SBS reader.
"""

from __future__ import annotations

import time
from pathlib import Path

from .parties import PartyAssigner
from .replay import read_reports
from .reports import PositionReport

FORMATS = ("auto", "table", "sbs", "beast", "asterix", "opensky")


def detect_format(path: Path) -> str:
    with open(path, "rb") as stream:
        head = stream.read(16)
    from .beast import looks_like_beast

    if looks_like_beast(head):
        return "beast"
    if len(head) >= 3 and head[0] in (21, 62) and 3 <= int.from_bytes(head[1:3], "big") <= path.stat().st_size:
        return "asterix"
    if not path.name.lower().endswith((".parquet", ".pq", ".csv", ".csv.gz")):
        from .opensky import looks_like_opensky

        try:
            if looks_like_opensky(path):
                return "opensky"
        except (OSError, UnicodeDecodeError, EOFError):
            pass
    return "table"


def read_track_file(path: str | Path, file_format: str = "auto", *, parties: PartyAssigner | None = None,
                    skip_ground: bool = True, limit_rows: int | None = None,
                    start: float | None = None) -> tuple[list[PositionReport], dict[str, int]]:
    """Reports in time order, and what could not be used, counted by reason.

    `start` (UTC epoch seconds, default now) anchors formats whose files carry no date: Beast (the
    first frame is at `start`) and ASTERIX (times of day are placed on the day nearest `start`)."""
    path = Path(path)
    if file_format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {file_format!r})")
    if file_format == "auto":
        file_format = detect_format(path)
    parties = parties or PartyAssigner()
    start = time.time() if start is None else start
    if file_format == "beast":
        from .beast import read_beast

        reports, stream = read_beast(path, start=start, parties=parties, skip_ground=skip_ground)
        problems = dict(stream.malformed)
    elif file_format == "asterix":
        from .asterix import read_asterix

        reports, decoder = read_asterix(path, start=start, parties=parties, skip_ground=skip_ground)
        problems = dict(decoder.malformed)
    elif file_format == "opensky":
        from .opensky import read_opensky

        reports, malformed = read_opensky(path, parties=parties, skip_ground=skip_ground)
        problems = dict(malformed)
    else:
        reports, unreadable = read_reports(path, parties=parties, skip_ground=skip_ground, limit_rows=limit_rows)
        problems = {"unreadable rows or lines": unreadable} if unreadable else {}
        return reports, problems
    if limit_rows is not None:
        reports = reports[:limit_rows]
    return reports, problems
