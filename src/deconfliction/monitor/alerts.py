"""Alerts and their lifecycle: one alert per encounter, not one per detection cycle.

An encounter between two aircraft opens an alert the first cycle it is detected. While it lasts,
the alert is re-sent (status `updated`) only when it changes in a way that matters to the people
reading it: predicted becomes lost (or back), or the predicted closest approach moves by more
than a set amount, and never more often than `min_update_interval_s`. It closes after the pair has
been clear for `close_after_cycles` consecutive cycles, so a pair hovering at the edge of the minima
does not open and close an alert every second.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict

AlertKind = Literal["separation.predicted", "separation.lost", "conformance.lost", "conformance.regained"]
AlertStatus = Literal["opened", "updated", "closed"]


def utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc)


class AircraftState(BaseModel):
    """Where one aircraft was (last report, extrapolated to the alert time for separation alerts)."""

    model_config = ConfigDict(frozen=True)
    party: str
    aircraft: str
    callsign: str | None = None
    lon: float
    lat: float
    altitude_m: float | None
    datum: str
    ground_speed_ms: float | None = None
    track_deg: float | None = None
    vertical_rate_ms: float | None = None
    notice_id: str | None = None


class Alert(BaseModel):
    """One message about one encounter (or one aircraft's conformance).

    For separation alerts: t_cpa_s is the time from `at` to the closest lateral approach (negative:
    already past, the aircraft are diverging), d_cpa_m the lateral distance then, t_los_s the time
    until separation is lost (≤ 0: lost now). `channel` is the agreed contact channel for the place
    of the encounter, if the agreement names one."""

    model_config = ConfigDict(frozen=True)
    id: str
    kind: AlertKind
    status: AlertStatus
    at: datetime
    opened_at: datetime
    parties: tuple[str, ...]
    aircraft: tuple[AircraftState, ...]
    t_cpa_s: float | None = None
    d_cpa_m: float | None = None
    cpa_at: datetime | None = None
    t_los_s: float | None = None
    distance_m: float | None = None
    vertical_gap_m: float | None = None
    channel: str | None = None
    notice_id: str | None = None
    reason: str | None = None


AlertSink = Callable[[Alert], None]
ChannelFor = Callable[[float, float, float, datetime], "str | None"]


@dataclass(frozen=True)
class Hysteresis:
    close_after_cycles: int = 10
    min_update_interval_s: float = 30.0
    update_if_cpa_moves_s: float = 30.0
    update_if_dcpa_moves_m: float = 926.0  # a tenth of 5 NM


@dataclass
class _Open:
    alert: Alert
    missed: int = 0
    last_sent: float = 0.0


class SeparationAlerts:
    """Open separation alerts per aircraft pair, and the decisions about what to send."""

    def __init__(self, sink: AlertSink, hysteresis: Hysteresis = Hysteresis()):
        self.sink = sink
        self.hysteresis = hysteresis
        self.open: dict[tuple, _Open] = {}
        self._ids = itertools.count(1)

    def _send(self, alert: Alert, sent: list[Alert]) -> None:
        sent.append(alert)
        self.sink(alert)

    def cycle(self, now: float, current: dict[tuple, dict], sent: list[Alert]) -> None:
        """`current` maps each pair in conflict this cycle to the Alert fields describing it."""
        h = self.hysteresis
        for pair, fields in current.items():
            kind = "separation.lost" if fields["t_los_s"] <= 0 else "separation.predicted"
            entry = self.open.get(pair)
            if entry is None:
                alert = Alert(id=f"sep-{next(self._ids)}", kind=kind, status="opened", at=utc(now), opened_at=utc(now), **fields)
                self.open[pair] = _Open(alert, 0, now)
                self._send(alert, sent)
                continue
            entry.missed = 0
            previous = entry.alert
            changed_kind = kind != previous.kind
            moved = (
                abs((fields["cpa_at"] - previous.cpa_at).total_seconds()) > h.update_if_cpa_moves_s
                or abs(fields["d_cpa_m"] - previous.d_cpa_m) > h.update_if_dcpa_moves_m
            )
            if changed_kind or (moved and now - entry.last_sent >= h.min_update_interval_s):
                entry.alert = previous.model_copy(update=dict(fields, kind=kind, status="updated", at=utc(now)))
                entry.last_sent = now
                self._send(entry.alert, sent)
        for pair in [p for p in self.open if p not in current]:
            entry = self.open[pair]
            entry.missed += 1
            if entry.missed >= h.close_after_cycles:
                self.close(pair, now, "separation regained", sent)

    def close(self, pair: tuple, now: float, reason: str, sent: list[Alert]) -> None:
        entry = self.open.pop(pair)
        self._send(entry.alert.model_copy(update=dict(status="closed", at=utc(now), reason=reason)), sent)

    def close_involving(self, keys: set, now: float, reason: str, sent: list[Alert]) -> None:
        for pair in [p for p in self.open if p[0] in keys or p[1] in keys]:
            self.close(pair, now, reason, sent)
