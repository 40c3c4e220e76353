"""Mode S Beast binary: the raw frames that dump1090, readsb and Mode-S Beast receivers serve on TCP
port 30005 (and that `--write-binary`-style recorders save to files).

A frame is `0x1a TYPE MLAT(6) SIGNAL(1) PAYLOAD`, where TYPE is `1` (Mode A/C, 2 bytes), `2` (Mode S
short, 7 bytes), `3` (Mode S long, 14 bytes) or `4` (receiver status); any 0x1a byte inside the frame
is sent twice. MLAT is a free-running counter (12 MHz on dump1090/readsb), so a file carries only
relative times: replays anchor the first frame at a given start time.

Frames are decoded by pyModeS (message fields, CRC); what pyModeS leaves to its caller — pairing
frames over time — is done here: a position needs an even and an odd CPR frame of one aircraft
within 10 s for the first (global) fix; after that each single frame is resolved locally against
the aircraft's last position, as ICAO Annex 10 vol. IV and DO-260B describe.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..units import feet_per_minute_to_metres_per_second, feet_to_metres, knots_to_metres_per_second
from .parties import PartyAssigner
from .reports import MalformedReport, PositionReport, problem_with

ESCAPE = 0x1A
PAYLOAD_BYTES = {0x31: 2, 0x32: 7, 0x33: 14}  # Mode A/C, Mode S short, Mode S long
STATUS = 0x34
MLAT_HZ = 12_000_000.0  # dump1090/readsb counter rate
MAX_PENDING = 1 << 16  # bytes held while waiting for the rest of a frame; more is garbage

PAIR_WINDOW_S = 10.0  # even/odd frames further apart may straddle a latitude zone (DO-260B)
LOCAL_WINDOW_S = 60.0  # a reference this old is still well within the 180 NM local-decoding limit
MAX_SPEED_MS = 1_000.0  # a local fix further from the reference than this allows is a bad decode


@dataclass(frozen=True, slots=True)
class BeastFrame:
    kind: int  # 0x31, 0x32 or 0x33
    mlat_ticks: int
    signal: int
    payload: bytes


class BeastFramer:
    """Bytes in (as they arrive, cut anywhere), frames out. Garbage between frames, unknown frame
    types and frames cut short by a new frame are counted in `malformed` and skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.malformed: Counter = Counter()
        self.status_frames = 0

    def feed(self, data: bytes) -> list[BeastFrame]:
        buffer = self._buffer
        buffer += data
        frames: list[BeastFrame] = []
        i, n = 0, len(buffer)
        while i < n:
            if buffer[i] != ESCAPE:
                start = i
                next_marker = buffer.find(ESCAPE, i)
                i = n if next_marker < 0 else next_marker
                self.malformed["bytes outside a frame"] += i - start
                continue
            if i + 1 >= n:
                break
            kind = buffer[i + 1]
            if kind == ESCAPE:  # a doubled escape outside a frame: stray data
                self.malformed["bytes outside a frame"] += 2
                i += 2
                continue
            if kind == STATUS:
                end = self._status_end(buffer, i + 2)
                if end is None:
                    break
                self.status_frames += 1
                i = end
                continue
            if kind not in PAYLOAD_BYTES:
                self.malformed[f"unknown frame type 0x{kind:02x}"] += 1
                i += 2
                continue
            body, end = self._unescape(buffer, i + 2, 7 + PAYLOAD_BYTES[kind])
            if end is None:
                break
            if body is None:  # interrupted by the next frame's marker
                self.malformed["frame cut short"] += 1
                i = end
                continue
            frames.append(BeastFrame(kind, int.from_bytes(body[:6], "big"), body[6], bytes(body[7:])))
            i = end
        del buffer[:i]
        if len(buffer) > MAX_PENDING:
            self.malformed["bytes outside a frame"] += len(buffer)
            buffer.clear()
        return frames

    @staticmethod
    def _unescape(buffer: bytearray, start: int, length: int) -> tuple[bytearray | None, int | None]:
        """(body, end) when complete; (None, index of the interrupting marker) when cut short;
        (None, None) when more bytes are needed."""
        body = bytearray()
        j, n = start, len(buffer)
        while len(body) < length:
            if j >= n:
                return None, None
            byte = buffer[j]
            if byte == ESCAPE:
                if j + 1 >= n:
                    return None, None
                if buffer[j + 1] != ESCAPE:
                    return None, j
                j += 1
            body.append(byte)
            j += 1
        return body, j

    @staticmethod
    def _status_end(buffer: bytearray, start: int) -> int | None:
        j, n = start, len(buffer)
        while j < n:
            if buffer[j] == ESCAPE:
                if j + 1 >= n:
                    return None
                if buffer[j + 1] != ESCAPE:
                    return j
                j += 2
                continue
            j += 1
        return None


def encode_beast_frame(payload: bytes, mlat_ticks: int = 0, signal: int = 0) -> bytes:
    """One frame in the wire format (for simulators, tests and benchmarks)."""
    kind = {2: 0x31, 7: 0x32, 14: 0x33}[len(payload)]
    body = mlat_ticks.to_bytes(6, "big") + bytes([signal]) + payload
    return bytes([ESCAPE, kind]) + body.replace(b"\x1a", b"\x1a\x1a")


@dataclass
class _Cpr:
    time: float
    lat_raw: int
    lon_raw: int


@dataclass
class _Aircraft:
    first_heard: float
    callsign: str | None = None
    even: _Cpr | None = None
    odd: _Cpr | None = None
    fix: tuple[float, float, float] | None = None  # time, lat, lon of the last position


@dataclass
class ModeSDecoder:
    """Mode S frames (hex or bytes, with their UTC time) in, PositionReports out.

    Only ADS-B (DF17, and DF18 with CF 0) carries positions and velocities; other downlink formats
    are counted in `skipped` and left out. Frames with a bad CRC are counted in `malformed`.
    Parties are assigned as for SBS: when they come from the callsign prefix, an aircraft's reports
    are held back for up to `callsign_wait_s` after it is first heard until its callsign is known."""

    parties: PartyAssigner = field(default_factory=PartyAssigner)
    callsign_wait_s: float = 15.0
    aircraft: dict[str, _Aircraft] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    malformed: Counter = field(default_factory=Counter)
    global_fixes: int = 0
    local_fixes: int = 0

    def decode(self, message: bytes | str, when: float) -> PositionReport | None:
        """A report, or None (counted in `skipped` or `malformed` with the reason)."""
        import pyModeS

        text = message.hex() if isinstance(message, (bytes, bytearray)) else message
        try:
            fields = pyModeS.decode(text)
        except Exception as exc:  # pyModeS raises its own errors for lengths, hex, unknown DFs
            self.malformed[f"undecodable frame ({type(exc).__name__})"] += 1
            return None
        if "error" in fields:
            self.malformed["undecodable frame"] += 1
            return None
        df = fields.get("df")
        if df not in (17, 18):
            self.skipped[f"DF{df} (no ADS-B)"] += 1
            return None
        if not fields.get("crc_valid", False):
            self.malformed["CRC mismatch"] += 1
            return None
        icao24 = str(fields.get("icao", "")).lower()
        if not icao24 or fields.get("typecode") is None:
            self.skipped[f"DF{df} non-ADS-B (control field)"] += 1
            return None
        state = self.aircraft.get(icao24)
        if state is None:
            state = self.aircraft[icao24] = _Aircraft(first_heard=when)
        typecode = fields["typecode"]
        kwargs = None
        if 1 <= typecode <= 4:
            callsign = (fields.get("callsign") or "").replace("_", "").replace("#", "").strip()
            if callsign:
                state.callsign = callsign
            self.skipped["identification"] += 1
            return None
        if 9 <= typecode <= 18 or 20 <= typecode <= 22:
            kwargs = self._position(state, fields, when, typecode)
        elif typecode == 19:
            kwargs = self._velocity(fields)
        elif 5 <= typecode <= 8:
            self.skipped["surface position (needs a reference; not used)"] += 1
            return None
        else:
            self.skipped[f"TC{typecode} (no position or velocity)"] += 1
            return None
        if kwargs is None:
            return None
        if icao24 not in self.parties.pinned and state.callsign is None and self.parties.by == "callsign-prefix":
            if when - state.first_heard < self.callsign_wait_s:
                self.skipped["waiting for callsign"] += 1
                return None
        report = PositionReport(party=self.parties(icao24, state.callsign), aircraft=icao24, time=when,
                                callsign=state.callsign, **kwargs)
        reason = problem_with(report)
        if reason:
            self.malformed[reason] += 1
            return None
        return report

    def _position(self, state: _Aircraft, fields: dict, when: float, typecode: int) -> dict | None:
        from pyModeS.position import airborne_position_pair, airborne_position_with_ref

        lat_raw, lon_raw, odd = fields.get("cpr_lat"), fields.get("cpr_lon"), fields.get("cpr_format")
        if lat_raw is None or lon_raw is None or odd not in (0, 1):
            self.malformed["position without CPR fields"] += 1
            return None
        frame = _Cpr(when, lat_raw, lon_raw)
        if odd:
            state.odd = frame
        else:
            state.even = frame
        position = None
        if state.fix is not None and when - state.fix[0] <= LOCAL_WINDOW_S:
            lat, lon = airborne_position_with_ref(odd, lat_raw, lon_raw, state.fix[1], state.fix[2])
            lon = (lon + 180.0) % 360.0 - 180.0
            if _distance_m(lat, lon, state.fix[1], state.fix[2]) <= MAX_SPEED_MS * max(when - state.fix[0], 1.0):
                position = (lat, lon)
                self.local_fixes += 1
            else:
                state.fix = None  # the reference is no longer trusted; wait for a new global fix
        if position is None:
            other = state.even if odd else state.odd
            if other is None or abs(when - other.time) > PAIR_WINDOW_S:
                self.skipped["waiting for the other CPR frame"] += 1
                return None
            even, odd_frame = (state.even, state.odd)
            position = airborne_position_pair(even.lat_raw, even.lon_raw, odd_frame.lat_raw, odd_frame.lon_raw,
                                              even_is_newer=not odd)
            if position is None:
                self.skipped["CPR pair in different latitude zones"] += 1
                return None
            self.global_fixes += 1
        state.fix = (when, position[0], position[1])
        altitude_ft = fields.get("altitude")
        altitude_m = None if altitude_ft is None else feet_to_metres(altitude_ft)
        # Type codes 20-22 carry GNSS height (above the WGS84 ellipsoid), 9-18 barometric altitude.
        datum = "W84" if typecode >= 20 else "AMSL"
        return dict(lat=position[0], lon=position[1], altitude_m=altitude_m, datum=datum)

    def _velocity(self, fields: dict) -> dict | None:
        speed, track = fields.get("groundspeed"), fields.get("track")
        if speed is None or track is None:
            self.skipped["airspeed/heading velocity (no ground vector)"] += 1
            return None
        rate = fields.get("vertical_rate")
        return dict(ground_speed_ms=knots_to_metres_per_second(speed), track_deg=float(track),
                    vertical_rate_ms=None if rate is None else feet_per_minute_to_metres_per_second(rate))


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere (a plausibility bound, not a separation figure)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class BeastStream:
    """Bytes of a Beast stream in, reports out. Times: `start` (UTC epoch seconds) plus the MLAT
    counter's progress since the first frame, or `clock()` per chunk for live feeds (`start=None`)."""

    decoder: ModeSDecoder = field(default_factory=ModeSDecoder)
    start: float | None = None
    framer: BeastFramer = field(default_factory=BeastFramer)
    frames: int = 0
    _first_ticks: int | None = None
    _last_time: float = 0.0

    def feed(self, data: bytes, now: float | None = None) -> list[PositionReport]:
        reports = []
        for frame in self.framer.feed(data):
            self.frames += 1
            if frame.kind == 0x31:
                self.decoder.skipped["Mode A/C"] += 1
                continue
            if self.start is None:
                when = now
            else:
                if self._first_ticks is None:
                    self._first_ticks = frame.mlat_ticks
                when = self.start + ((frame.mlat_ticks - self._first_ticks) % (1 << 48)) / MLAT_HZ
            # Frames from several receivers can arrive slightly out of order; times never go back.
            when = self._last_time = max(when, self._last_time)
            report = self.decoder.decode(frame.payload, when)
            if report is not None:
                reports.append(report)
        return reports

    @property
    def malformed(self) -> Counter:
        return self.framer.malformed + self.decoder.malformed


def iter_file_chunks(path: str | Path, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(size):
            yield chunk


def read_beast(path: str | Path, *, start: float, parties: PartyAssigner | None = None,
               skip_ground: bool = True) -> tuple[list[PositionReport], BeastStream]:
    """All reports of a Beast file, its first frame at `start`; the stream holds the counts."""
    stream = BeastStream(ModeSDecoder(parties or PartyAssigner()), start=start)
    reports: list[PositionReport] = []
    for chunk in iter_file_chunks(path):
        reports.extend(r for r in stream.feed(chunk) if not (skip_ground and r.on_ground))
    return reports, stream


def looks_like_beast(head: bytes) -> bool:
    """True when the bytes start with a Beast frame marker and a known frame type."""
    return len(head) >= 2 and head[0] == ESCAPE and head[1] in (0x31, 0x32, 0x33, 0x34)


def frames_of(chunks: Iterable[bytes]) -> Iterator[BeastFrame]:
    framer = BeastFramer()
    for chunk in chunks:
        yield from framer.feed(chunk)
