"""The latest known state of every aircraft, kept as columns so that a detection cycle reads arrays.

Each aircraft is known by (party, aircraft id): two parties may use the same local id. Position
and velocity are kept with their own times, because some feeds send them in separate messages;
a report older than what is already known for a component is out of order, one at the same time
is a duplicate, and neither changes anything.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from .reports import MalformedReport, PositionReport, problem_with, report_from_mapping

AircraftKey = tuple[str, str]


@dataclass
class IngestResult:
    """What a batch of reports did. `rejected` lists (index in the batch, reason) of malformed ones."""

    accepted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def malformed(self) -> int:
        return len(self.rejected)

    def reasons(self) -> Counter:
        return Counter(reason for _, reason in self.rejected)

    def add(self, other: "IngestResult", offset: int = 0) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.out_of_order += other.out_of_order
        self.rejected.extend((offset + index, reason) for index, reason in other.rejected)


_FLOAT_COLUMNS = ("pos_time", "lat", "lon", "altitude", "geo_altitude", "vel_time", "ground_speed", "track", "vertical_rate", "last_seen")


class TrackTable:
    def __init__(self, capacity: int = 1024):
        self._slot: dict[AircraftKey, int] = {}
        self._free: list[int] = []
        self.keys: list[AircraftKey | None] = []
        self.callsign: list[str | None] = []
        self.notice_id: list[str | None] = []
        self.datum: list[str] = []
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        old = len(self.keys)
        for name in _FLOAT_COLUMNS:
            column = np.full(capacity, np.nan)
            if old:
                column[:old] = getattr(self, name)
            setattr(self, name, column)
        for name, dtype in (("alive", bool), ("on_ground", bool)):
            column = np.zeros(capacity, dtype=dtype)
            if old:
                column[:old] = getattr(self, name)
            setattr(self, name, column)
        grow = capacity - old
        self.keys += [None] * grow
        self.callsign += [None] * grow
        self.notice_id += [None] * grow
        self.datum += ["AMSL"] * grow
        self._free.extend(range(capacity - 1, old - 1, -1))

    def __len__(self) -> int:
        return len(self._slot)

    def slot_of(self, key: AircraftKey) -> int | None:
        return self._slot.get(key)

    def _new_slot(self, key: AircraftKey) -> int:
        if not self._free:
            self._grow(2 * len(self.keys))
        slot = self._free.pop()
        self._slot[key] = slot
        self.keys[slot] = key
        for name in _FLOAT_COLUMNS:
            getattr(self, name)[slot] = np.nan
        self.alive[slot] = True
        self.on_ground[slot] = False
        self.callsign[slot] = self.notice_id[slot] = None
        self.datum[slot] = "AMSL"
        return slot

    def ingest(self, reports: Iterable[PositionReport | Mapping]) -> IngestResult:
        result = IngestResult()
        for index, report in enumerate(reports):
            try:
                if not isinstance(report, PositionReport):
                    report = report_from_mapping(report)
                else:
                    reason = problem_with(report)
                    if reason:
                        raise MalformedReport(reason)
            except MalformedReport as exc:
                result.rejected.append((index, str(exc)))
                continue
            outcome = self._apply(report)
            if outcome == "accepted":
                result.accepted += 1
            elif outcome == "duplicate":
                result.duplicates += 1
            else:
                result.out_of_order += 1
        return result

    def _apply(self, report: PositionReport) -> str:
        key = (report.party, report.aircraft)
        slot = self._slot.get(key)
        if slot is None:
            slot = self._new_slot(key)
        newer = older = False
        if report.has_position:
            known = self.pos_time[slot]
            if math.isnan(known) or report.time > known:
                newer = True
                self.pos_time[slot] = report.time
                self.lat[slot] = report.lat
                self.lon[slot] = report.lon
                self.on_ground[slot] = report.on_ground
                if report.altitude_m is not None:
                    self.altitude[slot] = report.altitude_m
                    self.datum[slot] = report.datum
                # A geometric height belongs to the position it came with; an older one is not kept.
                geometric = report.geometric_altitude_m
                self.geo_altitude[slot] = math.nan if geometric is None else geometric
            else:
                older = older or report.time < known
        if report.has_velocity:
            known = self.vel_time[slot]
            if math.isnan(known) or report.time > known:
                newer = True
                self.vel_time[slot] = report.time
                self.ground_speed[slot] = report.ground_speed_ms
                self.track[slot] = report.track_deg
                # A feed that leaves the vertical rate out is taken to mean level flight.
                self.vertical_rate[slot] = report.vertical_rate_ms if report.vertical_rate_ms is not None else 0.0
            else:
                older = older or report.time < known
        if not newer:
            return "out_of_order" if older else "duplicate"
        if not report.time <= self.last_seen[slot]:  # also true while last_seen is NaN
            self.last_seen[slot] = report.time
        if report.callsign:
            self.callsign[slot] = report.callsign
        if report.notice_id is not None:
            self.notice_id[slot] = report.notice_id
        return "accepted"

    def drop_stale(self, now: float, stale_after_s: float) -> list[AircraftKey]:
        """Forget aircraft with no report for longer than `stale_after_s`; returns their keys."""
        stale = np.flatnonzero(self.alive & (self.last_seen < now - stale_after_s))
        dropped = []
        for slot in stale.tolist():
            key = self.keys[slot]
            del self._slot[key]
            self.keys[slot] = None
            self.alive[slot] = False
            self._free.append(slot)
            dropped.append(key)
        return dropped

    def trackable(self, skip_ground: bool = True) -> np.ndarray:
        """Slots with a position, an altitude and a velocity (what state-based prediction needs)."""
        ok = self.alive & ~np.isnan(self.pos_time) & ~np.isnan(self.vel_time) & ~np.isnan(self.altitude)
        if skip_ground:
            ok &= ~self.on_ground
        return np.flatnonzero(ok)
