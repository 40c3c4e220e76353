"""Command-line front of the tactical monitor: `replay FILE`, `monitor sbs HOST:PORT`, `monitor listen PORT`.

They add themselves to the main `deconfliction` command (`register(app)` adds them to another typer
app); `python -m deconfliction.cli.monitor ...` runs them on their own. The monitor itself (numpy,
scipy) is imported only when a command runs.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from ..units import parse_length
from . import aviation
from .app import app as root
from .output import json_anywhere

if TYPE_CHECKING:
    from ..monitor.alerts import Alert
    from ..monitor.monitor import MonitorConfig

Lateral = Annotated[str, typer.Option("--lateral", help="Lateral minimum, e.g. '5 NM', '9260' (metres), '3 km'.")]
Vertical = Annotated[str, typer.Option("--vertical", help="Vertical minimum, e.g. '1000 ft', '300' (metres).")]
Lookahead = Annotated[float, typer.Option("--lookahead", help="Look-ahead in seconds.")]
PartyBy = Annotated[str, typer.Option("--party-by", help="Party of an aircraft: 'callsign-prefix' (its operator) or 'icao24'.")]
SameParty = Annotated[bool, typer.Option("--same-party", help="Also watch pairs of aircraft of the same party.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print alerts as JSON lines (and a JSON summary) instead of tables.", callback=json_anywhere)]
Altitudes = Annotated[str, typer.Option("--altitudes", help="How altitudes read: 'feet', or 'flight_level' (FL for barometric altitudes); metres beside. --json stays SI.")]


def _display(altitudes: str) -> str:
    if altitudes not in ("feet", "flight_level"):
        raise typer.BadParameter(f"--altitudes {altitudes!r}: expected 'feet' or 'flight_level'")
    return altitudes


def _config(lateral: str, vertical: str, lookahead: float, same_party: bool) -> MonitorConfig:
    from ..monitor.engine import Minima
    from ..monitor.monitor import MonitorConfig

    try:
        minima = Minima(parse_length(lateral, "--lateral"), parse_length(vertical, "--vertical"), lookahead)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return MonitorConfig(minima=minima, same_party=same_party)


def _aircraft(a, display: str) -> str:
    """'CAL12 (calfire, FL085, 180 kt, 090°)': who it is and how it flies, aviation units."""
    facts = [a.party, aviation.short_altitude(a.altitude_m, a.datum, display)]
    if a.ground_speed_ms is not None:
        facts.append(aviation.knots(a.ground_speed_ms))
    if a.track_deg is not None:
        facts.append(aviation.heading(a.track_deg))
    return f"{a.callsign or a.aircraft} ({', '.join(facts)})"


def describe(alert: Alert, display: str = "feet") -> str:
    """One line for a person: aviation units first, SI beside (--json keeps SI alone)."""
    who = " × ".join(_aircraft(a, display) for a in alert.aircraft)
    when = alert.at.strftime("%H:%M:%S")
    if alert.kind.startswith("conformance"):
        return f"{when} {alert.kind} {alert.status}: {who} notice {alert.notice_id}"
    text = (
        f"{when} {alert.kind} {alert.status}: {who} — closest {aviation.distance(alert.d_cpa_m)} "
        f"in {alert.t_cpa_s:+.0f} s, now {aviation.distance(alert.distance_m)} apart, "
        f"vertical {aviation.vertical_gap(alert.vertical_gap_m)}"
    )
    if alert.channel:
        text += f", channel {alert.channel}"
    return text


class AlertLog:
    """Collects alerts per encounter for the closing table, and prints them as they happen."""

    def __init__(self, console: Console, as_json: bool, display: str = "feet"):
        self.console, self.as_json, self.display = console, as_json, display
        self.encounters: dict[str, dict] = {}
        self.counts = {"opened": 0, "updated": 0, "closed": 0}

    def __call__(self, alert: Alert) -> None:
        self.counts[alert.status] += 1
        row = self.encounters.setdefault(alert.id, {"first": alert, "min_d_cpa": float("inf"), "lost": False, "closed": None})
        if alert.d_cpa_m is not None:
            row["min_d_cpa"] = min(row["min_d_cpa"], alert.d_cpa_m)
        row["lost"] |= alert.kind in ("separation.lost", "conformance.lost")
        if alert.status == "closed":
            row["closed"] = alert
        if self.as_json:
            print(alert.model_dump_json(), flush=True)
        elif alert.status != "updated":
            self.console.print(describe(alert, self.display), highlight=False, markup=False)

    def table(self) -> Table:
        """Fits 80 columns: the aircraft with their parties, and the closest approach, are stacked."""
        table = Table(title="Encounters", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))
        for column in ("alert", "kind", "aircraft (party)", "UTC", "closest", "lost?"):
            table.add_column(column, overflow="fold")
        for alert_id, row in self.encounters.items():
            first, closed = row["first"], row["closed"]
            closest = "" if row["min_d_cpa"] == float("inf") else f"{aviation.nautical_miles(row['min_d_cpa'])}\n{aviation.si_length(row['min_d_cpa'])}"
            table.add_row(
                alert_id, first.kind.replace(".", "\n", 1), "\n".join(f"{a.callsign or a.aircraft} ({a.party})" for a in first.aircraft),
                first.opened_at.strftime("%H:%M:%S") + "\n→ " + (closed.at.strftime("%H:%M:%S") if closed else "open"),
                closest, "yes" if row["lost"] else "",
            )
        return table


def replay_command(
    file: Annotated[Path, typer.Argument(help="Track file: JSON / JSON.gz / CSV / Parquet table, SBS log, Beast binary, ASTERIX CAT021/062, OpenSky state vectors.", exists=True, dir_okay=False)],
    file_format: Annotated[str, typer.Option("--format", help="auto, table, sbs, beast, asterix or opensky.")] = "auto",
    start: Annotated[Optional[str], typer.Option("--start", help="UTC time of the first Beast frame / the day of ASTERIX times of day (ISO 8601; default now).")] = None,
    speed: Annotated[float, typer.Option("--speed", help="Replay seconds per wall-clock second.")] = 60.0,
    as_fast_as_possible: Annotated[bool, typer.Option("--as-fast-as-possible", help="No pacing.")] = False,
    lateral: Lateral = "5 NM",
    vertical: Vertical = "1000 ft",
    lookahead: Lookahead = 300.0,
    party_by: PartyBy = "callsign-prefix",
    same_party: SameParty = False,
    limit_rows: Annotated[Optional[int], typer.Option("--limit-rows", help="Replay only the first N rows (in time order).")] = None,
    cycle: Annotated[float, typer.Option("--cycle", help="Detection cycle, in replay seconds.")] = 1.0,
    include_ground: Annotated[bool, typer.Option("--include-ground", help="Keep reports of aircraft on the ground.")] = False,
    altitudes: Altitudes = "feet",
    as_json: AsJson = False,
) -> None:
    """Replay recorded traffic through the tactical monitor and report the encounters."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..monitor.monitor import Monitor
    from ..monitor.parties import PartyAssigner
    from ..monitor.formats import read_track_file
    from ..monitor.replay import replay

    console = Console(stderr=as_json)
    config = _config(lateral, vertical, lookahead, same_party)
    display = _display(altitudes)
    if speed <= 0:
        raise typer.BadParameter("--speed must be positive")
    try:
        parties = PartyAssigner(party_by)
        reports, problems = read_track_file(file, file_format, parties=parties, skip_ground=not include_ground,
                                            limit_rows=limit_rows, start=_start_time(start))
        unreadable = sum(problems.values())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    log = AlertLog(console, as_json, display)
    monitor = Monitor(config, sink=log)
    progress = Progress(TextColumn("[bold]replay"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[clock]}"),
                        TimeElapsedColumn(), console=console, disable=as_json)
    with progress:
        task = progress.add_task("replay", total=len(reports), clock="")
        log.console = progress.console

        def advance(result, done):
            if int(result.now) % 5 == 0:  # a refresh every 5 replay seconds is plenty
                progress.update(task, completed=done, clock=f"{_hms(result.now)} · {result.aircraft} aircraft")

        summary = replay(monitor, reports, speed=None if as_fast_as_possible else speed, cycle_s=cycle, on_cycle=advance)
        progress.update(task, completed=len(reports))
    totals = monitor.totals
    facts = {
        "file": str(file), "reports": summary.reports, "unreadable_lines": unreadable, "unreadable_reasons": problems,
        "accepted": totals.accepted,
        "duplicates": totals.duplicates, "out_of_order": totals.out_of_order, "malformed": totals.malformed,
        "malformed_reasons": dict(totals.reasons()), "cycles": summary.cycles, "max_aircraft": summary.max_aircraft,
        "encounters": len(log.encounters), "alerts": log.counts, "wall_s": round(summary.wall_s, 3),
        "reports_per_s": round(summary.reports / summary.wall_s) if summary.wall_s > 0 else None,
    }
    if as_json:
        print(json.dumps({"summary": facts}), flush=True)
        return
    if log.encounters:
        console.print(log.table())
    console.print(
        f"{facts['reports']} reports ({facts['accepted']} accepted, {facts['duplicates']} duplicates, "
        f"{facts['out_of_order']} out of order, {facts['malformed']} malformed), {facts['cycles']} cycles, "
        f"up to {facts['max_aircraft']} aircraft; {facts['encounters']} encounters "
        f"({log.counts['opened']} opened, {log.counts['updated']} updated, {log.counts['closed']} closed); "
        f"{facts['wall_s']} s wall, {facts['reports_per_s']} reports/s",
        highlight=False,
    )


def _start_time(text: str | None) -> float | None:
    if text is None:
        return None
    from datetime import datetime

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"--start {text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise typer.BadParameter("--start needs a UTC offset (e.g. 2026-01-01T12:00:00Z)")
    return when.timestamp()


def _hms(epoch: float) -> str:
    from ..monitor.alerts import utc

    return utc(epoch).strftime("%Y-%m-%d %H:%M:%S")


monitor_app = typer.Typer(help="Watch live traffic (SBS/BaseStation, Mode S Beast, ASTERIX) for predicted loss of separation.", no_args_is_help=True)


def _run_live(start, config: MonitorConfig, party_by: str, duration: Optional[float], as_json: bool,
              counts=None, altitudes: str = "feet") -> None:
    from ..monitor.feeds import LiveFeed
    from ..monitor.monitor import Monitor
    from ..monitor.parties import PartyAssigner
    from ..monitor.sbs import SbsDecoder

    console = Console(stderr=as_json)
    log = AlertLog(console, as_json, _display(altitudes))
    feed = LiveFeed(Monitor(config, sink=log), SbsDecoder(PartyAssigner(party_by)))
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set()) if threading.current_thread() is threading.main_thread() else None
    timer = threading.Timer(duration, stop.set) if duration else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        start(feed, stop)
    finally:
        if timer:
            timer.cancel()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if not as_json:
        if log.encounters:
            console.print(log.table())
        what = counts() if counts else f"{feed.lines} lines, {sum(feed.malformed.values())} malformed"
        console.print(f"{what}, {len(log.encounters)} encounters", highlight=False)


def _host_port(address: str, example: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter(f"expected HOST:PORT, e.g. {example}")
    return host, int(port)


@monitor_app.command("sbs")
def sbs_command(
    address: Annotated[str, typer.Argument(help="HOST:PORT of an SBS/BaseStation server (dump1090/readsb: port 30003).")],
    lateral: Lateral = "5 NM", vertical: Vertical = "1000 ft", lookahead: Lookahead = 300.0,
    party_by: PartyBy = "callsign-prefix", same_party: SameParty = False,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop after this many seconds.")] = None,
    altitudes: Altitudes = "feet",
    as_json: AsJson = False,
) -> None:
    """Follow an SBS feed (TCP client) and print alerts as they happen."""
    host, port = _host_port(address, example="localhost:30003")
    from ..monitor.feeds import follow_sbs

    config = _config(lateral, vertical, lookahead, same_party)
    _run_live(lambda feed, stop: follow_sbs(host, port, feed, stop), config, party_by, duration, as_json, altitudes=altitudes)


@monitor_app.command("listen")
def listen_command(
    port: Annotated[int, typer.Argument(help="TCP port to accept SBS lines on.")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default: loopback only).")] = "127.0.0.1",
    lateral: Lateral = "5 NM", vertical: Vertical = "1000 ft", lookahead: Lookahead = 300.0,
    party_by: PartyBy = "callsign-prefix", same_party: SameParty = False,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop after this many seconds.")] = None,
    altitudes: Altitudes = "feet",
    as_json: AsJson = False,
) -> None:
    """Accept SBS lines pushed to a TCP port (any number of senders) and print alerts as they happen."""
    from ..monitor.feeds import listen_sbs

    config = _config(lateral, vertical, lookahead, same_party)
    console = Console(stderr=True)
    ready = lambda actual: console.print(f"listening for SBS lines on {host}:{actual}", highlight=False)  # noqa: E731
    _run_live(lambda feed, stop: listen_sbs(port, feed, stop, host=host, on_ready=ready), config, party_by, duration, as_json, altitudes=altitudes)


@monitor_app.command("beast")
def beast_command(
    address: Annotated[str, typer.Argument(help="HOST:PORT of a Mode S Beast binary server (dump1090/readsb: port 30005).")],
    lateral: Lateral = "5 NM", vertical: Vertical = "1000 ft", lookahead: Lookahead = 300.0,
    party_by: PartyBy = "callsign-prefix", same_party: SameParty = False,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop after this many seconds.")] = None,
    altitudes: Altitudes = "feet",
    as_json: AsJson = False,
) -> None:
    """Follow a Mode S Beast feed (TCP client), decode ADS-B with CPR, and print alerts as they happen."""
    from ..monitor.live_binary import follow_beast
    from ..monitor.parties import PartyAssigner

    host, port = _host_port(address, example="localhost:30005")
    config = _config(lateral, vertical, lookahead, same_party)
    result = {}

    def run(feed, stop):
        result["stream"] = follow_beast(host, port, feed, stop, parties=PartyAssigner(party_by))

    def counts():
        stream = result.get("stream")
        return "no connection" if stream is None else f"{stream.frames} frames, {sum(stream.malformed.values())} malformed"

    _run_live(run, config, party_by, duration, as_json, counts, altitudes=altitudes)


@monitor_app.command("asterix")
def asterix_command(
    address: Annotated[str, typer.Argument(help="udp:PORT or udp:HOST:PORT to receive ASTERIX CAT021/CAT062 datagrams on.")],
    lateral: Lateral = "5 NM", vertical: Vertical = "1000 ft", lookahead: Lookahead = 300.0,
    party_by: PartyBy = "callsign-prefix", same_party: SameParty = False,
    duration: Annotated[Optional[float], typer.Option("--duration", help="Stop after this many seconds.")] = None,
    altitudes: Altitudes = "feet",
    as_json: AsJson = False,
) -> None:
    """Receive ASTERIX CAT021 (ADS-B) and CAT062 (system tracks) over UDP and print alerts as they happen."""
    from ..monitor.live_binary import listen_asterix
    from ..monitor.parties import PartyAssigner

    scheme, _, rest = address.partition(":")
    host, _, port = rest.rpartition(":")
    if scheme != "udp" or not port.isdigit():
        raise typer.BadParameter("expected udp:PORT or udp:HOST:PORT, e.g. udp:8600")
    host = host or "127.0.0.1"
    config = _config(lateral, vertical, lookahead, same_party)
    console = Console(stderr=True)
    result = {}

    def run(feed, stop):
        ready = lambda actual: console.print(f"listening for ASTERIX on udp {host}:{actual}", highlight=False)  # noqa: E731
        result["decoder"] = listen_asterix(int(port), feed, stop, host=host, parties=PartyAssigner(party_by), on_ready=ready)

    def counts():
        decoder = result.get("decoder")
        return "nothing received" if decoder is None else f"{decoder.records} records, {sum(decoder.malformed.values())} malformed"

    _run_live(run, config, party_by, duration, as_json, counts, altitudes=altitudes)


def register(app: typer.Typer) -> None:
    """Add `replay` and `monitor sbs|listen` to a typer app."""
    app.command("replay")(replay_command)
    app.add_typer(monitor_app, name="monitor")


register(root)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    standalone = typer.Typer(no_args_is_help=True, help="The tactical monitor on its own.")
    register(standalone)
    standalone()
