"""The tactical monitor: reports in, one detection cycle at a time, alerts out.

Any caller feeds it — a file replay, an SBS feed, later the HTTP batch endpoint — with
`ingest(reports)`, and runs `step(now)` once per cycle. Each cycle drops stale aircraft, moves every
aircraft on its last velocity to `now`, runs the detection engine, updates the alert lifecycle and
checks conformance. Nothing in here blocks or does I/O besides calling the sink.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from .alerts import Alert, AlertSink, ChannelFor, Hysteresis, SeparationAlerts, utc
from .conformance import ConformanceWatch, InsideCheck, aircraft_state
from .engine import Encounters, Minima, Traffic, detect
from .frames import to_lon_lat
from .reports import PositionReport
from .tracks import IngestResult, TrackTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorConfig:
    minima: Minima = field(default_factory=Minima)
    same_party: bool = False  # also watch pairs of aircraft of one party
    stale_after_s: float = 60.0  # forget an aircraft not heard from for this long
    skip_ground: bool = True  # aircraft reporting "on ground" are not separated
    conformance_grace_s: float = 30.0
    hysteresis: Hysteresis = field(default_factory=Hysteresis)


@dataclass
class CycleResult:
    now: float
    aircraft: int
    conflicts: int
    dropped: int
    alerts: list[Alert]


def _ignore(alert: Alert) -> None:
    pass


class Monitor:
    def __init__(
        self,
        config: MonitorConfig = MonitorConfig(),
        sink: AlertSink = _ignore,
        channel_for: ChannelFor | None = None,
        inside: InsideCheck | None = None,
    ):
        self.config = config
        self.sink = sink
        self.channel_for = channel_for
        self.tracks = TrackTable()
        self.separation = SeparationAlerts(sink, config.hysteresis)
        self.conformance = ConformanceWatch(inside, config.conformance_grace_s, sink)
        self._party_codes: dict[str, int] = {}
        self.totals = IngestResult()
        self.last_encounters: Encounters | None = None
        self.last_slots = np.empty(0, dtype=np.int64)

    def ingest(self, reports: Iterable[PositionReport | Mapping]) -> IngestResult:
        result = self.tracks.ingest(reports)
        for index, reason in result.rejected:
            log.warning("malformed report #%d ignored: %s", index, reason)
        self.totals.add(result)
        return result

    def nonconforming_notices(self) -> set[str]:
        return self.conformance.nonconforming_notices()

    def traffic_at(self, now: float) -> tuple[np.ndarray, Traffic]:
        """The trackable aircraft (their slots) and their state moved on to `now`."""
        t = self.tracks
        slots = t.trackable(self.config.skip_ground)
        since = now - t.pos_time[slots]
        parties = np.fromiter(
            (self._party_codes.setdefault(t.keys[s][0], len(self._party_codes)) for s in slots.tolist()), dtype=np.int64, count=len(slots)
        )
        traffic = Traffic.from_geodetic(
            t.lon[slots], t.lat[slots], t.altitude[slots] + t.vertical_rate[slots] * since,
            t.ground_speed[slots], t.track[slots], t.vertical_rate[slots], parties,
        )
        # Straight-line dead reckoning from the last position to now, as the prediction itself does.
        traffic.position[:] += traffic.velocity * since[:, None]
        return slots, traffic

    def step(self, now: float) -> CycleResult:
        sent: list[Alert] = []
        dropped = self.tracks.drop_stale(now, self.config.stale_after_s)
        if dropped:
            self.separation.close_involving(set(dropped), now, "track lost", sent)
            self.conformance.forget(dropped, now, sent)
        slots, traffic = self.traffic_at(now)
        encounters = detect(traffic, self.config.minima, same_party=self.config.same_party)
        self.last_encounters, self.last_slots = encounters, slots
        current = {}
        for k in range(len(encounters)):
            pair, fields = self._describe(now, slots, traffic, encounters, k)
            current[pair] = fields
        self.separation.cycle(now, current, sent)
        self.conformance.cycle(now, self.tracks, sent)
        return CycleResult(now, len(slots), len(encounters), len(dropped), sent)

    def _describe(self, now: float, slots, traffic: Traffic, e: Encounters, k: int) -> tuple[tuple, dict]:
        i, j = int(e.first[k]), int(e.second[k])
        si, sj = int(slots[i]), int(slots[j])
        lon, lat = to_lon_lat(traffic.position[[i, j]])
        states = [
            aircraft_state(self.tracks, si, lon[0], lat[0], traffic.altitude[i]),
            aircraft_state(self.tracks, sj, lon[1], lat[1], traffic.altitude[j]),
        ]
        states.sort(key=lambda s: (s.party, s.aircraft))
        t_cpa = float(e.t_cpa_s[k])
        fields = dict(
            parties=tuple(sorted({states[0].party, states[1].party})),
            aircraft=tuple(states),
            t_cpa_s=t_cpa,
            d_cpa_m=float(e.d_cpa_m[k]),
            cpa_at=utc(now + t_cpa),
            t_los_s=float(e.t_in_s[k]),
            distance_m=float(e.distance_m[k]),
            vertical_gap_m=float(e.vertical_gap_m[k]),
            channel=self._channel(now, traffic, i, j, t_cpa),
        )
        return ((states[0].party, states[0].aircraft), (states[1].party, states[1].aircraft)), fields

    def _channel(self, now: float, traffic: Traffic, i: int, j: int, t_cpa: float) -> str | None:
        """The channel where the encounter happens: the midpoint of the pair at closest approach
        (or now, if that is past; at most one look-ahead ahead)."""
        if self.channel_for is None:
            return None
        t = min(max(t_cpa, 0.0), self.config.minima.lookahead_s)
        midpoint = ((traffic.position[i] + traffic.position[j]) + (traffic.velocity[i] + traffic.velocity[j]) * t) / 2.0
        lon, lat = to_lon_lat(midpoint[None, :])
        altitude = (traffic.altitude[i] + traffic.altitude[j] + (traffic.vertical_rate[i] + traffic.vertical_rate[j]) * t) / 2.0
        return self.channel_for(float(lon[0]), float(lat[0]), float(altitude), utc(now + t))
