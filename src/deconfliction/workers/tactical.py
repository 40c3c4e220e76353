"""The tactical monitor inside the system: tracks of authenticated parties in, alerts out as events.

    tactical = TacticalService(system)                 # one Monitor per agreement
    result = tactical.ingest("blue", [report, ...])    # reports as mappings (SI units) or PositionReports
    cycle = tactical.step()                            # one detection cycle per agreement, one write
    loop = TacticalLoop(tactical).start()              # step() every second in a thread; loop.stop()

Who an aircraft belongs to is the authenticated party that sent its reports, never what a report
says: a report naming another party is refused. A report of party P goes to the monitor of every
agreement P is a member of, with the agreement's separation minima (lateral and vertical; the
look-ahead is the service's). A report may name the notice its aircraft flies under: only a live
notice of P's own is accepted (otherwise the report is refused with a reason, the same one whether
the notice does not exist or is someone else's), and that agreement's monitor alone watches the
aircraft's conformance to the notice's volumes.

Each cycle's alerts are written in one write transaction: every alert is published as an event
`alert.<kind>` (alert.separation.predicted, alert.separation.lost, alert.conformance.lost,
alert.conformance.regained; the payload carries the status opened / updated / closed) to each party
involved — both sides of a separation alert, the aircraft's owner for a conformance alert — and
recorded in the audit chain; a notice whose aircraft strays past the grace period becomes
`nonconforming` (and `active` again once none of its aircraft is outside) in the same transaction,
which tells the members through the usual `notice.changed` events. If that transaction fails, the
alerts stay pending and the next step writes them, in order.

No web framework here: the HTTP and WebSocket routes (api/routes/tracks.py) call these methods.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..rules import audit
from ..rules import notices as notice_rules
from ..models.agreements import Agreement
from ..rules.channels import AssignedArea, assigned_areas, choose, contact_of
from ..rules.events import publish
from ..models import LIVE_STATES, ChannelRef, Notice
from ..monitor import Alert, Minima, Monitor, MonitorConfig, volumes_checker
from ..monitor.alerts import AircraftState
from ..monitor.conformance import aircraft_state
from ..monitor.reports import MalformedReport, PositionReport, report_from_mapping

if TYPE_CHECKING:
    from ..service import Deconfliction

log = logging.getLogger(__name__)

ACTOR = "monitor"
EVENT_PREFIX = "alert."
MAX_PENDING = 100_000  # alerts kept for a store that keeps refusing writes; older ones are dropped (logged)


@dataclass(frozen=True)
class TacticalConfig:
    lookahead_s: float = 300.0
    stale_after_s: float = 60.0
    conformance_grace_s: float = 30.0
    max_batch: int = 10_000  # reports per ingest call (HTTP batch, WebSocket message)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "TacticalConfig":
        """DECONFLICTION_TACTICAL_LOOKAHEAD_S, _STALE_AFTER_S, _CONFORMANCE_GRACE_S (seconds)."""
        env = os.environ if environ is None else environ
        values = {}
        for name in ("lookahead_s", "stale_after_s", "conformance_grace_s"):
            raw = env.get("DECONFLICTION_TACTICAL_" + name.upper())
            if raw:
                value = float(raw)
                if not (math.isfinite(value) and value > 0):
                    raise ValueError(f"DECONFLICTION_TACTICAL_{name.upper()} must be a positive number of seconds")
                values[name] = value
        return cls(**values)


@dataclass
class Ingested:
    """What one batch did. `problems` lists (index in the batch, reason) of the reports not taken:
    malformed ones (unusable values) and refused ones (well-formed but not yours to send)."""

    accepted: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    malformed: int = 0
    refused: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted, "duplicates": self.duplicates, "out_of_order": self.out_of_order,
            "malformed": self.malformed, "refused": self.refused,
            "problems": [{"index": index, "reason": reason} for index, reason in self.problems],
        }


@dataclass
class TacticalCycle:
    now: datetime
    aircraft: int = 0  # distinct aircraft tracked (one in several agreements counts once)
    conflicts: int = 0  # encounters, summed over the agreements
    alerts: int = 0  # produced by the monitors this cycle
    published: int = 0  # written as events this step (pending ones from a failed step included)
    notices_changed: list[str] = field(default_factory=list)


@dataclass
class _Watch:
    """One agreement's monitor, with the agreement as last read (for its channels) and, where the
    agreement has a pool, the channels assigned to its clusters as read at the last step."""

    agreement: Agreement
    monitor: Monitor
    assigned: list[AssignedArea] = field(default_factory=list)

    def channel_at(self, lon: float, lat: float, when: datetime) -> ChannelRef | None:
        return choose(self.agreement, self.assigned, lon, lat, when)


@dataclass(frozen=True)
class Published:
    """An alert as the parties are told it: the agreement it belongs to and its channel spelled out."""

    agreement_id: str
    alert: Alert
    channel: dict[str, str] | None
    audience: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"agreement_id": self.agreement_id, "alert": self.alert.model_dump(mode="json"), "channel": self.channel}


def _epoch(when: datetime | float | None, clock) -> float:
    if when is None:
        when = clock()
    if isinstance(when, datetime):
        return when.timestamp()
    return float(when)


def _report_time(value: Any) -> Any:
    """RFC 3339 text with an offset is accepted for `time` besides epoch seconds."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise MalformedReport(f"time {value!r} is neither epoch seconds nor RFC 3339 text") from None
        if parsed.tzinfo is None:
            raise MalformedReport(f"time {value!r} has no UTC offset")
        return parsed.timestamp()
    return value


class TacticalService:
    def __init__(self, system: "Deconfliction", config: TacticalConfig | None = None):
        self.system = system
        self.config = config or TacticalConfig()
        self.run = secrets.token_hex(3)  # alert ids are unique across restarts: <agreement>:<run>:<monitor id>
        self._lock = threading.RLock()  # the monitors (ingest and cycles)
        self._write_lock = threading.Lock()  # one publisher at a time, so events keep their order
        self._watches: dict[str, _Watch] = {}
        self._notices: dict[str, Notice] = {}  # notices aircraft fly under, as read at the last step
        self._pending: list[Published] = []
        self._open: dict[str, Published] = {}  # open alerts as told to the parties, by id
        self._flying_under: dict[tuple[str, str], str | None] = {}  # (party, aircraft) → agreement of the notice it flies

    # Agreements -----------------------------------------------------------------------------------
    def _monitor_config(self, agreement: Agreement) -> MonitorConfig:
        separation = agreement.separation
        return MonitorConfig(
            minima=Minima(lateral_m=separation.lateral_m, vertical_m=separation.vertical_m, lookahead_s=self.config.lookahead_s),
            stale_after_s=self.config.stale_after_s,
            conformance_grace_s=self.config.conformance_grace_s,
        )

    def _sync_agreements(self, agreements: Iterable[Agreement], complete: bool) -> None:
        """Monitors for new agreements; changed minima and channels taken over by the running monitor
        (its tracks and open alerts stay). With `complete`, monitors of removed agreements go."""
        seen = set()
        for agreement in agreements:
            seen.add(agreement.id)
            watch = self._watches.get(agreement.id)
            if watch is None:
                self._watches[agreement.id] = self._new_watch(agreement)
            elif watch.agreement != agreement:
                watch.agreement = agreement
                watch.monitor.config = self._monitor_config(agreement)
        if complete:
            for gone in set(self._watches) - seen:
                log.info("tactical: agreement %s is gone; its monitor stops", gone)
                del self._watches[gone]

    def _new_watch(self, agreement: Agreement) -> _Watch:
        agreement_id = agreement.id
        holder: dict[str, _Watch] = {}

        def channel_for(lon: float, lat: float, altitude_m: float, when: datetime) -> str | None:
            channel = holder["watch"].channel_at(lon, lat, when)
            return channel.name if channel is not None else None

        def volumes_of(notice_id: str):
            notice = self._notices.get(notice_id)
            if notice is None or notice.agreement_id != agreement_id or notice.state not in LIVE_STATES:
                return None  # unknown, elsewhere or over: no judgement
            return notice.volumes

        def sink(alert: Alert) -> None:
            self._queue(holder["watch"].agreement, alert)

        monitor = Monitor(self._monitor_config(agreement), sink=sink, channel_for=channel_for, inside=volumes_checker(volumes_of))
        holder["watch"] = _Watch(agreement, monitor)
        return holder["watch"]

    def _queue(self, agreement: Agreement, alert: Alert) -> None:
        update: dict[str, Any] = {"id": f"{agreement.id}:{self.run}:{alert.id}"}
        if alert.channel is None and alert.kind.startswith("conformance") and alert.aircraft:
            # A conformance alert happens where its aircraft is.
            where = alert.aircraft[0]
            found = self._watches[agreement.id].channel_at(where.lon, where.lat, alert.at) if agreement.id in self._watches else None
            update["channel"] = found.name if found is not None else None
        alert = alert.model_copy(update=update)
        channel = None
        if alert.channel is not None:
            contact = contact_of(agreement, alert.channel)
            channel = {"name": alert.channel, "contact": contact} if contact else {"name": alert.channel}
        self._pending.append(Published(agreement.id, alert, channel, tuple(alert.parties)))
        if len(self._pending) > MAX_PENDING:
            dropped = self._pending.pop(0)
            log.error("tactical: %d alerts pending; dropped %s %s", MAX_PENDING, dropped.alert.id, dropped.alert.status)

    # Ingest -------------------------------------------------------------------------------------------
    def ingest(self, party_id: str, reports: Iterable[Any]) -> Ingested:
        """Reports of the authenticated party (mappings with PositionReport's field names, SI units,
        or PositionReports). `party` may be left out; any other party than the caller is refused.
        With an altitude, the datum must be given ("AMSL" or "W84")."""
        reports = list(reports)
        result = Ingested()
        if len(reports) > self.config.max_batch:
            raise ValueError(f"at most {self.config.max_batch} reports per batch (got {len(reports)})")
        parsed: list[tuple[int, PositionReport]] = []
        for index, raw in enumerate(reports):
            try:
                parsed.append((index, self._parse(party_id, raw)))
            except MalformedReport as exc:
                result.malformed += 1
                result.problems.append((index, str(exc)))
            except _Refused as exc:
                result.refused += 1
                result.problems.append((index, str(exc)))
        wanted = {r.notice_id for _, r in parsed if r.notice_id is not None}
        agreements, notices = self.system.read(
            lambda tx: (tx.list_agreements(party_id), {notice_id: tx.get_notice(notice_id) for notice_id in sorted(wanted)})
        )
        agreements = [a for a in agreements if party_id in a.parties]
        with self._lock:
            self._sync_agreements(agreements, complete=False)
            watches = [self._watches[a.id] for a in agreements]
            for index, report in parsed:
                if not watches:
                    result.refused += 1
                    result.problems.append((index, f"party {party_id!r} is a member of no agreement"))
                    continue
                notice_agreement = None
                if report.notice_id is not None:
                    notice = notices.get(report.notice_id)
                    if notice is None or notice.party_id != party_id or notice.state not in LIVE_STATES:
                        result.refused += 1
                        result.problems.append((index, f"notice_id: no live notice {report.notice_id!r} of yours"))
                        continue
                    notice_agreement = notice.agreement_id
                    self._notices[notice.id] = notice
                self._flying_under[(party_id, report.aircraft)] = notice_agreement
                outcomes = set()
                for watch in watches:
                    # The notice belongs to one agreement; the other monitors see the aircraft without it.
                    mine = report if watch.agreement.id == notice_agreement else replace(report, notice_id=None)
                    one = watch.monitor.ingest([mine])
                    outcomes.add("accepted" if one.accepted else "duplicate" if one.duplicates else "out_of_order")
                if "accepted" in outcomes:
                    result.accepted += 1
                elif "duplicate" in outcomes:
                    result.duplicates += 1
                else:
                    result.out_of_order += 1
        result.problems.sort()
        return result

    def _parse(self, party_id: str, raw: Any) -> PositionReport:
        if isinstance(raw, PositionReport):
            data: dict[str, Any] = {name: getattr(raw, name) for name in raw.__dataclass_fields__}
        elif isinstance(raw, Mapping):
            data = dict(raw)
            if "altitude_m" in data and data["altitude_m"] is not None and "datum" not in data:
                raise MalformedReport("datum: give the altitude's datum with altitude_m ('AMSL' or 'W84')")
        else:
            raise MalformedReport(f"expected an object, got {type(raw).__name__}")
        claimed = data.pop("party", None)
        if claimed is not None and claimed != party_id:
            raise _Refused(f"party: reports are sent as the authenticated party ({party_id!r}), not {claimed!r}")
        if "time" in data:
            data["time"] = _report_time(data["time"])
        data["party"] = party_id
        return report_from_mapping(data)

    # Cycles -----------------------------------------------------------------------------------------
    def step(self, now: datetime | float | None = None) -> TacticalCycle:
        """One detection cycle of every agreement's monitor at `now` (default: the system's clock),
        then one write transaction with the alerts as events, audit entries and notice states."""
        epoch = _epoch(now, self.system.clock)
        when = datetime.fromtimestamp(epoch, tz=timezone.utc)
        cycle = TacticalCycle(when)

        def look(tx):
            agreements = tx.list_agreements(None)
            assigned = {a.id: assigned_areas(tx, a) for a in agreements if a.channel_assignment is not None}
            with self._lock:
                flying = {n for w in self._watches.values() for s in w.monitor.tracks._slot.values()
                          if (n := w.monitor.tracks.notice_id[s]) is not None}
            return agreements, assigned, {notice_id: tx.get_notice(notice_id) for notice_id in sorted(flying)}

        agreements, assigned, notices = self.system.read(look)
        with self._lock:
            self._sync_agreements(agreements, complete=True)
            for agreement_id, watch in self._watches.items():
                watch.assigned = assigned.get(agreement_id, [])
            self._notices = {k: v for k, v in notices.items() if v is not None}
            before = len(self._pending)
            aircraft = set()
            for watch in self._watches.values():
                cycle.conflicts += watch.monitor.step(epoch).conflicts
                aircraft.update(key for key in watch.monitor.tracks.keys if key is not None)
            cycle.aircraft = len(aircraft)
            cycle.alerts = len(self._pending) - before
            nonconforming = {n for w in self._watches.values() for n in w.monitor.nonconforming_notices()}
        self._flush(when, nonconforming, cycle)
        return cycle

    def _flush(self, when: datetime, nonconforming: set[str], cycle: TacticalCycle) -> None:
        with self._write_lock:
            with self._lock:
                batch = list(self._pending)
            if not batch:
                return
            touched = sorted({p.alert.notice_id for p in batch if p.alert.kind.startswith("conformance") and p.alert.notice_id})

            def work(tx):
                for item in batch:
                    payload = item.as_dict()
                    kind = EVENT_PREFIX + item.alert.kind
                    for party in item.audience:
                        publish(tx, party, kind, payload, when)
                    audit.record(tx, ACTOR, f"alert.{item.alert.status}", item.alert.id,
                                 {**payload, "kind": kind, "told": list(item.audience)}, when)
                changed = []
                for notice_id in touched:
                    notice = notice_rules.set_conformance(tx, notice_id=notice_id, conforming=notice_id not in nonconforming, now=when)
                    if notice is not None:
                        changed.append(notice.id)
                return changed

            cycle.notices_changed = self.system.write(work)
            cycle.published = len(batch)
            with self._lock:
                del self._pending[: len(batch)]
                for item in batch:
                    if item.alert.status == "closed":
                        self._open.pop(item.alert.id, None)
                    else:
                        self._open[item.alert.id] = item

    # Reading ------------------------------------------------------------------------------------------
    def open_alerts(self, party_id: str | None = None, agreements: Iterable[str] | None = None) -> list[Published]:
        """Open alerts as last told: those involving `party_id`, or all those of `agreements`
        (an observer's view), or every one (both None: the operator)."""
        scope = set(agreements) if agreements is not None else None
        with self._lock:
            found = list(self._open.values())
        return sorted(
            (p for p in found if (party_id is None or party_id in p.audience) and (scope is None or p.agreement_id in scope)),
            key=lambda p: (p.alert.opened_at, p.alert.id),
        )

    def aircraft(self, party_id: str | None = None, agreements: Iterable[str] | None = None) -> list[AircraftState]:
        """The last reported state of each tracked aircraft (what the web console draws): a party's
        own (`party_id`), every one in some agreements (an observer's view, as for alerts), or all
        (both None: the operator). An aircraft tracked by several agreements' monitors appears once.
        Other parties' aircraft reach a party only inside the alerts that involve it."""
        scope = set(agreements) if agreements is not None else None
        found: dict[tuple[str, str], AircraftState] = {}
        with self._lock:
            for agreement_id, watch in self._watches.items():
                if scope is not None and agreement_id not in scope:
                    continue
                table = watch.monitor.tracks
                for slot, key in enumerate(table.keys):
                    if key is None or key in found or (party_id is not None and key[0] != party_id):
                        continue
                    if party_id is None and scope is not None and self._flying_under.get(key) not in (None, *scope):
                        continue  # an observer's view: not an aircraft flying another agreement's notice
                    if math.isnan(table.lon[slot]) or math.isnan(table.lat[slot]):
                        continue  # no position reported yet
                    found[key] = aircraft_state(table, slot)
        return [found[key] for key in sorted(found)]

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)


class _Refused(Exception):
    """A well-formed report the caller may not send (another party's name or notice)."""


class TacticalLoop:
    """`service.step()` every `interval_s` in a daemon thread; a failing step is logged, never fatal."""

    def __init__(self, service: TacticalService, interval_s: float = 1.0):
        self.service = service
        self.interval_s = interval_s
        self.steps = 0
        self.errors = 0
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> TacticalCycle | None:
        try:
            return self.service.step()
        except Exception as error:  # noqa: BLE001 - the loop must outlive any one cycle
            self.errors += 1
            self.last_error = error
            log.exception("tactical: cycle failed; alerts stay pending for the next one")
            return None
        finally:
            self.steps += 1

    def start(self) -> "TacticalLoop":
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="deconfliction-tactical", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.step()
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))
