"""EUROCONTROL ASTERIX surveillance data: CAT021 (ADS-B target reports, edition 2.6) and CAT062 (SDPS
system tracks, edition 1.20), as UDP datagrams or files of concatenated data blocks. Decoding and
encoding use `libasterix` (pure Python, both directions, exact unit conversions).

What is read, per record (everything else is ignored):

- CAT021: I021/080 target address (the icao24), I021/170 callsign, I021/071 or /073 or /077 time
  of day, I021/130 or /131 position (WGS84), I021/145 flight level (barometric, AMSL on the standard
  atmosphere), I021/140 geometric height (above the WGS84 ellipsoid), I021/160 ground speed and
  track, I021/155 barometric (or /157 geometric) vertical rate, I021/040 GBS (on the ground).
- CAT062: I062/380 ADR target address (else the track is named by SAC/SIC and I062/040 track
  number), I062/380 ID or I062/245 callsign, I062/070 time of day, I062/105 position, I062/185
  Cartesian velocity (becomes ground speed and track), I062/136 measured flight level (else
  I062/135 barometric altitude), I062/130 geometric altitude, I062/220 rate of climb/descent.

ASTERIX carries the time of day only: it is placed on the UTC day nearest to the reception time
(live) or to the replay's `start` (files). Records without a position and a velocity, data blocks of
other categories, and broken blocks or records are counted and skipped.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..units import feet_per_minute_to_metres_per_second, feet_to_metres, flight_level_to_metres
from .parties import PartyAssigner
from .reports import PositionReport, problem_with

NM_M = 1852.0
DAY_S = 86_400.0


def _spec(category: int):
    import asterix.generated as generated

    return {21: generated.Cat_021_2_6, 62: generated.Cat_062_1_20}[category]


def _quantity(record, key: str, unit: str, sub: str | None = None) -> float | None:
    item = record.get_item(key)
    if item is None:
        return None
    if sub is not None:
        item = item.variation.get_item(sub)
        if item is None:
            return None
    return float(item.variation.content.as_quantity(unit))


def _text(item) -> str | None:
    if item is None:
        return None
    value = item.variation.content.as_string().strip()
    return value or None


def time_of_day_at(seconds: float, reference: float) -> float:
    """The UTC epoch second with this time of day nearest to `reference`."""
    midnight = math.floor(reference / DAY_S) * DAY_S
    return min((midnight + offset + seconds for offset in (-DAY_S, 0.0, DAY_S)), key=lambda t: abs(t - reference))


@dataclass
class AsterixDecoder:
    """Data blocks in (one datagram, or any run of whole blocks), PositionReports out."""

    parties: PartyAssigner = field(default_factory=PartyAssigner)
    records: int = 0
    skipped: Counter = field(default_factory=Counter)
    malformed: Counter = field(default_factory=Counter)

    def decode(self, data: bytes, reference: float) -> list[PositionReport]:
        from asterix.base import Bits, RawDatablock

        blocks = RawDatablock.parse(Bits.from_bytes(data))
        if isinstance(blocks, ValueError):
            self.malformed[f"broken data block ({blocks})"] += 1
            return []
        reports = []
        for block in blocks:
            category = block.get_category()
            if category not in (21, 62):
                self.skipped[f"CAT{category:03d} data block"] += 1
                continue
            records = _spec(category).cv_uap.parse(block.get_raw_records())
            if isinstance(records, ValueError):
                self.malformed[f"CAT{category:03d} records do not parse ({records})"] += 1
                continue
            for record in records:
                self.records += 1
                try:
                    report = (self._cat021 if category == 21 else self._cat062)(record, reference)
                except (ValueError, ArithmeticError) as exc:
                    self.malformed[f"CAT{category:03d} record: {exc}"] += 1
                    continue
                if report is not None:
                    reports.append(report)
        return reports

    def _finish(self, category: int, aircraft: str, callsign: str | None, when: float, **kwargs) -> PositionReport | None:
        if kwargs.get("lat") is None and kwargs.get("ground_speed_ms") is None:
            self.skipped[f"CAT{category:03d} record without position or velocity"] += 1
            return None
        report = PositionReport(party=self.parties(aircraft, callsign), aircraft=aircraft, time=when, callsign=callsign, **kwargs)
        reason = problem_with(report)
        if reason:
            self.malformed[f"CAT{category:03d} record: {reason}"] += 1
            return None
        return report

    def _cat021(self, record, reference: float) -> PositionReport | None:
        address = record.get_item("080")
        if address is None:
            self.skipped["CAT021 record without target address"] += 1
            return None
        aircraft = f"{address.as_uint():06x}"
        seconds = next((s for s in (_quantity(record, key, "s") for key in ("071", "073", "077")) if s is not None), None)
        when = reference if seconds is None else time_of_day_at(seconds, reference)
        lat = _quantity(record, "131", "°", "LAT")
        lon = _quantity(record, "131", "°", "LON")
        if lat is None:
            lat, lon = _quantity(record, "130", "°", "LAT"), _quantity(record, "130", "°", "LON")
        flight_level = _quantity(record, "145", "FL")
        height_ft = _quantity(record, "140", "ft")
        speed = _quantity(record, "160", "NM/s", "GS")
        track = _quantity(record, "160", "°", "TA")
        rate = _quantity(record, "155", "ft/min", "BVR")
        if rate is None:
            rate = _quantity(record, "157", "ft/min", "GVR")
        descriptor = record.get_item("040")
        ground = descriptor.variation.get_item("GBS") if descriptor is not None else None
        return self._finish(
            21, aircraft, _text(record.get_item("170")), when, lat=lat, lon=lon,
            altitude_m=None if flight_level is None else flight_level_to_metres(flight_level), datum="AMSL",
            geometric_altitude_m=None if height_ft is None else feet_to_metres(height_ft),
            ground_speed_ms=None if speed is None or track is None else speed * NM_M,
            track_deg=None if speed is None or track is None else track,
            vertical_rate_ms=None if rate is None else feet_per_minute_to_metres_per_second(rate),
            on_ground=bool(ground is not None and ground.as_uint()),
        )

    def _cat062(self, record, reference: float) -> PositionReport | None:
        derived = record.get_item("380")
        address = derived.variation.get_item("ADR") if derived is not None else None
        if address is not None:
            aircraft = f"{address.as_uint():06x}"
        else:
            source, number = record.get_item("010"), record.get_item("040")
            if source is None or number is None:
                self.skipped["CAT062 record without address or track number"] += 1
                return None
            sac, sic = source.variation.get_item("SAC").as_uint(), source.variation.get_item("SIC").as_uint()
            aircraft = f"track-{sac}-{sic}-{number.as_uint()}"
        callsign = _text(derived.variation.get_item("ID")) if derived is not None else None
        if callsign is None:
            identification = record.get_item("245")
            callsign = _text(identification.variation.get_item("CHR")) if identification is not None else None
        seconds = _quantity(record, "070", "s")
        when = reference if seconds is None else time_of_day_at(seconds, reference)
        vx, vy = _quantity(record, "185", "m/s", "VX"), _quantity(record, "185", "m/s", "VY")
        flight_level = _quantity(record, "136", "FL")
        if flight_level is None:
            flight_level = _quantity(record, "135", "FL", "VAL")
        height_ft = _quantity(record, "130", "ft")
        rate = _quantity(record, "220", "ft/min")
        moving = vx is not None and vy is not None
        return self._finish(
            62, aircraft, callsign, when,
            lat=_quantity(record, "105", "°", "LAT"), lon=_quantity(record, "105", "°", "LON"),
            altitude_m=None if flight_level is None else flight_level_to_metres(flight_level), datum="AMSL",
            geometric_altitude_m=None if height_ft is None else feet_to_metres(height_ft),
            ground_speed_ms=math.hypot(vx, vy) if moving else None,
            track_deg=math.degrees(math.atan2(vx, vy)) % 360.0 if moving else None,
            vertical_rate_ms=None if rate is None else feet_per_minute_to_metres_per_second(rate),
        )


def _seconds_of_day(when: float) -> float:
    return when % DAY_S


def encode_cat021(reports: list[PositionReport], sac: int = 0, sic: int = 1) -> bytes:
    """One CAT021 data block with a record per report (for simulators, tests and benchmarks).
    Feet, flight levels and NM/s are the wire's units; the reports are SI."""
    spec = _spec(21)
    records = []
    for r in reports:
        items: dict[str, Any] = {
            "010": (("SAC", sac), ("SIC", sic)),
            "040": (0x10, 0x20 if r.on_ground else 0x00),  # ATP 1: 24-bit address; GBS
            "080": int(r.aircraft, 16),
            "073": (_seconds_of_day(r.time), "s"),
        }
        if r.has_position:
            items["131"] = (("LAT", (r.lat, "°")), ("LON", (r.lon, "°")))
        if r.altitude_m is not None:
            items["145"] = (r.altitude_m / 0.3048 / 100.0, "FL")
        if r.geometric_altitude_m is not None:
            items["140"] = (r.geometric_altitude_m / 0.3048, "ft")
        if r.has_velocity:
            items["160"] = (("RE", 0), ("GS", (r.ground_speed_ms / NM_M, "NM/s")), ("TA", (r.track_deg % 360.0, "°")))
        if r.vertical_rate_ms is not None:
            items["155"] = (("RE", 0), ("BVR", (r.vertical_rate_ms * 60.0 / 0.3048, "ft/min")))
        if r.callsign:
            items["170"] = r.callsign[:8]
        records.append(spec.cv_record.create(items))
    return spec.create(records).unparse().to_bytes()


def encode_cat062(reports: list[PositionReport], sac: int = 0, sic: int = 2) -> bytes:
    """One CAT062 data block with a system track per report (address in I062/380 when the report's
    aircraft id is an icao24)."""
    spec = _spec(62)
    records = []
    for number, r in enumerate(reports):
        items: dict[str, Any] = {
            "010": (("SAC", sac), ("SIC", sic)),
            "040": number % 65536,
            "070": (_seconds_of_day(r.time), "s"),
        }
        derived: dict[str, Any] = {}
        if len(r.aircraft) == 6 and all(c in "0123456789abcdef" for c in r.aircraft):
            derived["ADR"] = int(r.aircraft, 16)
        if r.callsign:
            derived["ID"] = r.callsign[:8]
        if derived:
            items["380"] = derived
        if r.has_position:
            items["105"] = (("LAT", (r.lat, "°")), ("LON", (r.lon, "°")))
        if r.has_velocity:
            theta = math.radians(r.track_deg)
            items["185"] = (("VX", (r.ground_speed_ms * math.sin(theta), "m/s")),
                            ("VY", (r.ground_speed_ms * math.cos(theta), "m/s")))
        if r.altitude_m is not None:
            items["136"] = (r.altitude_m / 0.3048 / 100.0, "FL")
        if r.geometric_altitude_m is not None:
            items["130"] = (r.geometric_altitude_m / 0.3048, "ft")
        if r.vertical_rate_ms is not None:
            items["220"] = (r.vertical_rate_ms * 60.0 / 0.3048, "ft/min")
        records.append(spec.cv_record.create(items))
    return spec.create(records).unparse().to_bytes()


def read_asterix(path: str | Path, *, start: float, parties: PartyAssigner | None = None,
                 skip_ground: bool = True) -> tuple[list[PositionReport], AsterixDecoder]:
    """Reports of a file of concatenated data blocks, in time order. A damaged block ends what can
    be read (blocks have no marker to resynchronise on); what came before it is kept."""
    decoder = AsterixDecoder(parties or PartyAssigner())
    data = Path(path).read_bytes()
    reports: list[PositionReport] = []
    offset = 0
    while offset + 3 <= len(data):
        length = int.from_bytes(data[offset + 1:offset + 3], "big")
        if length < 3 or offset + length > len(data):
            decoder.malformed["data block length runs past the end of the file"] += 1
            break
        block = decoder.decode(data[offset:offset + length], start)
        if block:
            start = block[-1].time  # a recording that runs past midnight stays on its own days
        reports.extend(block)
        offset += length
    if 0 < len(data) - offset < 3:
        decoder.malformed["trailing bytes"] += 1
    reports = [r for r in reports if not (skip_ground and r.on_ground)]
    reports.sort(key=lambda r: r.time)
    return reports, decoder
