"""Conformance: is an aircraft flying under a notice inside one of that notice's volumes?

The check itself belongs to the geometry of notices; the monitor only asks a question of the shape
`inside(notice_id, lon, lat, altitude_m, datum, when) -> bool | None` (None: unknown notice, do not
judge). `volumes_checker` builds that question on `deconfliction.geometry.contains_position`.

Altitude datum is explicit: when the aircraft reported a geometric height it is used, as "W84"
(height above the WGS84 ellipsoid); otherwise its barometric altitude is used, as "AMSL". The
geometry converts between the two where a notice's band uses the other datum.

An aircraft outside for longer than the grace period raises `conformance.lost` (status opened);
back inside, `conformance.regained` (status closed, same alert id). A notice is nonconforming while
any of its aircraft has an open `conformance.lost` alert.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Protocol, Sequence

from .alerts import Alert, AircraftState, utc


class InsideCheck(Protocol):
    def __call__(self, notice_id: str, lon: float, lat: float, altitude_m: float, datum: str, when: datetime) -> bool | None: ...


def volumes_checker(volumes_of: Callable[[str], Sequence | None]) -> InsideCheck:
    """An InsideCheck over the volumes of each notice (`volumes_of(notice_id)` returns its Volume4D
    list, or None for a notice it does not know), using the core's exact geometry."""
    from deconfliction.geometry import contains_position  # the core owns the geometry

    def inside(notice_id: str, lon: float, lat: float, altitude_m: float, datum: str, when: datetime) -> bool | None:
        volumes = volumes_of(notice_id)
        if volumes is None:
            return None
        return any(contains_position(volume, lon, lat, altitude_m, datum, when) for volume in volumes)

    return inside


@dataclass
class _Watch:
    notice_id: str
    checked_time: float = math.nan
    outside_since: float | None = None
    alert: Alert | None = None


class ConformanceWatch:
    def __init__(self, inside: InsideCheck | None, grace_s: float, sink):
        self.inside = inside
        self.grace_s = grace_s
        self.sink = sink
        self.watches: dict[tuple[str, str], _Watch] = {}
        self._ids = itertools.count(1)

    def nonconforming_notices(self) -> set[str]:
        return {w.notice_id for w in self.watches.values() if w.alert is not None}

    def _send(self, alert: Alert, sent: list[Alert]) -> None:
        sent.append(alert)
        self.sink(alert)

    def cycle(self, now: float, table, sent: list[Alert]) -> None:
        if self.inside is None:
            return
        for key, slot in list(table._slot.items()):
            notice_id = table.notice_id[slot]
            if notice_id is None or math.isnan(table.pos_time[slot]):
                continue
            watch = self.watches.get(key)
            if watch is None or watch.notice_id != notice_id:
                if watch is not None and watch.alert is not None:
                    self._regained(watch, now, "aircraft now flies under another notice", sent)
                watch = self.watches[key] = _Watch(notice_id)
            when = float(table.pos_time[slot])
            if when != watch.checked_time:
                watch.checked_time = when
                geometric = table.geo_altitude[slot]
                altitude, datum = (geometric, "W84") if not math.isnan(geometric) else (table.altitude[slot], table.datum[slot])
                if math.isnan(altitude):
                    continue
                verdict = self.inside(notice_id, float(table.lon[slot]), float(table.lat[slot]), float(altitude), datum, utc(when))
                if verdict is None:
                    continue
                if verdict:
                    watch.outside_since = None
                    if watch.alert is not None:
                        self._regained(watch, now, "back inside the notice's volumes", sent)
                elif watch.outside_since is None:
                    watch.outside_since = when
            if watch.alert is None and watch.outside_since is not None and now - watch.outside_since >= self.grace_s:
                state = aircraft_state(table, slot)
                watch.alert = Alert(
                    id=f"conf-{next(self._ids)}", kind="conformance.lost", status="opened", at=utc(now), opened_at=utc(now),
                    parties=(key[0],), aircraft=(state,), notice_id=notice_id,
                    reason=f"outside all volumes of notice {notice_id} since {utc(watch.outside_since).isoformat()}",
                )
                self._send(watch.alert, sent)

    def _regained(self, watch: _Watch, now: float, reason: str, sent: list[Alert]) -> None:
        self._send(watch.alert.model_copy(update=dict(kind="conformance.regained", status="closed", at=utc(now), reason=reason)), sent)
        watch.alert = None

    def forget(self, keys, now: float, sent: list[Alert]) -> None:
        """Dropped aircraft: an open alert is closed (still `conformance.lost`: nobody saw it return)."""
        for key in keys:
            watch = self.watches.pop(key, None)
            if watch is not None and watch.alert is not None:
                self._send(watch.alert.model_copy(update=dict(status="closed", at=utc(now), reason="track lost")), sent)


def aircraft_state(table, slot: int, lon: float | None = None, lat: float | None = None, altitude: float | None = None) -> AircraftState:
    def number(value):
        return None if value is None or math.isnan(value) else float(value)

    party, aircraft = table.keys[slot]
    return AircraftState(
        party=party, aircraft=aircraft, callsign=table.callsign[slot],
        lon=float(table.lon[slot] if lon is None else lon), lat=float(table.lat[slot] if lat is None else lat),
        altitude_m=number(table.altitude[slot] if altitude is None else altitude), datum=table.datum[slot],
        ground_speed_ms=number(table.ground_speed[slot]), track_deg=number(table.track[slot]),
        vertical_rate_ms=number(table.vertical_rate[slot]), notice_id=table.notice_id[slot],
    )
