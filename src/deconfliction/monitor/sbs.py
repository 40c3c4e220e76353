"""SBS / BaseStation messages: the comma-separated text that dump1090, readsb and others serve on
TCP port 30003, one message per line:

    MSG,3,1,1,4CA2D6,1,2021/10/07,12:00:01.000,2021/10/07,12:00:01.000,,35000,,,48.51,2.31,,,0,0,0,0
    MSG,4,1,1,4CA2D6,1,2021/10/07,12:00:01.500,2021/10/07,12:00:01.500,,,451,273.5,,,-64,,0,0,0,0

Field 4 is the icao24 address, 6–7 the date and time the message was generated, 10 the callsign,
11 the barometric altitude (ft), 12 ground speed (kt), 13 track (deg), 14–15 latitude and longitude,
16 vertical rate (ft/min), 21 the on-ground flag. Transmission type 1 carries the callsign, 2 a surface
position, 3 an airborne position, 4 the velocity; the others add nothing the monitor uses.

Times are read as UTC: run the receiver with TZ=UTC (BaseStation itself writes local time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..units import feet_per_minute_to_metres_per_second, feet_to_metres, knots_to_metres_per_second
from .parties import PartyAssigner
from .reports import MalformedReport, PositionReport, problem_with


def _number(text: str, name: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise MalformedReport(f"{name} {text!r} is not a number") from None


def _time(date: str, clock: str) -> float:
    try:
        when = datetime.strptime(f"{date.strip()} {clock.strip()}", "%Y/%m/%d %H:%M:%S.%f")
    except ValueError:
        try:
            when = datetime.strptime(f"{date.strip()} {clock.strip()}", "%Y/%m/%d %H:%M:%S")
        except ValueError:
            raise MalformedReport(f"date/time {date!r} {clock!r} not in YYYY/MM/DD HH:MM:SS.fff") from None
    return when.replace(tzinfo=timezone.utc).timestamp()


@dataclass
class SbsMessage:
    """The parts of one MSG line the monitor uses, in SI units. Empty fields are None."""

    kind: int
    icao24: str
    time: float
    callsign: str | None = None
    altitude_m: float | None = None
    ground_speed_ms: float | None = None
    track_deg: float | None = None
    lat: float | None = None
    lon: float | None = None
    vertical_rate_ms: float | None = None
    on_ground: bool = False


def parse_sbs_line(line: str) -> SbsMessage | None:
    """Parse one line. None for lines that carry nothing to track (other message classes such as
    SEL/ID/AIR/STA, blank lines); MalformedReport for a broken MSG line."""
    line = line.strip()
    if not line:
        return None
    fields = line.split(",")
    if fields[0] != "MSG":
        if fields[0] in ("SEL", "ID", "AIR", "STA", "CLK"):
            return None
        raise MalformedReport(f"not an SBS message ({fields[0][:10]!r})")
    if len(fields) < 11:
        raise MalformedReport(f"MSG line with {len(fields)} fields (expected 22)")
    fields += [""] * (22 - len(fields))
    try:
        kind = int(fields[1])
    except ValueError:
        raise MalformedReport(f"transmission type {fields[1]!r} is not a number") from None
    icao24 = fields[4].strip().lower()
    if not icao24 or len(icao24) > 8 or any(c not in "0123456789abcdef~" for c in icao24):
        raise MalformedReport(f"hex ident {fields[4]!r} is not an icao24 address")
    message = SbsMessage(kind=kind, icao24=icao24, time=_time(fields[6], fields[7]))
    message.callsign = fields[10].strip() or None
    altitude_ft = _number(fields[11], "altitude")
    message.altitude_m = None if altitude_ft is None else feet_to_metres(altitude_ft)
    speed_kt = _number(fields[12], "ground speed")
    message.ground_speed_ms = None if speed_kt is None else knots_to_metres_per_second(speed_kt)
    message.track_deg = _number(fields[13], "track")
    message.lat = _number(fields[14], "latitude")
    message.lon = _number(fields[15], "longitude")
    rate_fpm = _number(fields[16], "vertical rate")
    message.vertical_rate_ms = None if rate_fpm is None else feet_per_minute_to_metres_per_second(rate_fpm)
    message.on_ground = fields[21].strip() in ("-1", "1") or kind == 2
    return message


@dataclass
class SbsDecoder:
    """Turns SBS lines into PositionReports for the monitor.

    Remembers each aircraft's callsign (it comes in its own message) and, when parties are told
    apart by callsign prefix, holds an aircraft's reports back for up to `callsign_wait_s` after it
    is first heard until the callsign is known, so that its party is right from the start."""

    parties: PartyAssigner = field(default_factory=PartyAssigner)
    callsign_wait_s: float = 15.0
    callsigns: dict[str, str] = field(default_factory=dict)
    first_heard: dict[str, float] = field(default_factory=dict)
    on_ground: dict[str, bool] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)

    def decode(self, line: str) -> PositionReport | None:
        """A report, or None when the line carries nothing to ingest yet. Raises MalformedReport."""
        message = parse_sbs_line(line)
        if message is None:
            self.skipped["not a message"] += 1
            return None
        first = self.first_heard.setdefault(message.icao24, message.time)
        if message.callsign:
            self.callsigns[message.icao24] = message.callsign
        callsign = self.callsigns.get(message.icao24)
        if message.kind in (2, 3) and message.lat is not None and message.lon is not None:
            self.on_ground[message.icao24] = message.on_ground
            kwargs = dict(lat=message.lat, lon=message.lon, altitude_m=message.altitude_m, on_ground=message.on_ground)
        elif message.kind == 4 and message.ground_speed_ms is not None and message.track_deg is not None:
            # A velocity message has no ground flag of its own: it shares the last position's.
            kwargs = dict(ground_speed_ms=message.ground_speed_ms, track_deg=message.track_deg,
                          vertical_rate_ms=message.vertical_rate_ms, on_ground=self.on_ground.get(message.icao24, False))
        else:
            self.skipped[f"MSG,{message.kind} without position or velocity"] += 1
            return None
        if message.icao24 not in self.parties.pinned and callsign is None and self.parties.by == "callsign-prefix":
            if message.time - first < self.callsign_wait_s:
                self.skipped["waiting for callsign"] += 1
                return None
        party = self.parties(message.icao24, callsign)
        report = PositionReport(party=party, aircraft=message.icao24, time=message.time, callsign=callsign, **kwargs)
        reason = problem_with(report)
        if reason:
            raise MalformedReport(reason)
        return report


def format_sbs(kind: int, icao24: str, when: datetime, *, callsign: str = "", altitude_ft: float | None = None,
               ground_speed_kt: float | None = None, track_deg: float | None = None, lat: float | None = None,
               lon: float | None = None, vertical_rate_fpm: float | None = None, on_ground: bool = False) -> str:
    """One SBS MSG line (for simulators, tests and re-broadcasting a replay)."""
    when = when.astimezone(timezone.utc)
    date, clock = when.strftime("%Y/%m/%d"), when.strftime("%H:%M:%S.%f")[:-3]

    def show(value, digits=None):
        if value is None:
            return ""
        return f"{value:.{digits}f}" if digits is not None else f"{value:g}"

    fields = [
        "MSG", str(kind), "1", "1", icao24.upper(), "1", date, clock, date, clock, callsign,
        show(altitude_ft, 0), show(ground_speed_kt, 0), show(track_deg, 1), show(lat, 5), show(lon, 5),
        show(vertical_rate_fpm, 0), "", "0", "0", "0", "-1" if on_ground else "0",
    ]
    return ",".join(fields)
