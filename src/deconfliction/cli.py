"""The `deconfliction` command: the library's functions, for people (tables) and machines (--json)."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from . import render
from .agreements import Agreement, load_toml
from .demo import example_agreement_text, seed
from .errors import DeconflictionError, InvalidInput
from .geometry import load_volumes
from .models import MESSAGE_KINDS, MessageRefs, NoticePrivate
from .service import Deconfliction, connect

app = typer.Typer(help="Advance notice, conflicts and acknowledgments between parties that share airspace.", no_args_is_help=True)
notice_app = typer.Typer(help="File, change and read notices.", no_args_is_help=True)
conflicts_app = typer.Typer(help="Conflicts between notices, and acknowledging them.", invoke_without_command=True)
agreement_app = typer.Typer(help="Agreements and their parties.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident record: verify and export.", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
hotline_app = typer.Typer(help="The hotline: messages between parties, acknowledged or escalated.", no_args_is_help=True)
app.add_typer(notice_app, name="notice")
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")
app.add_typer(conflicts_app, name="conflicts")
app.add_typer(agreement_app, name="agreement")
app.add_typer(hotline_app, name="hotline")

console = Console()
errors = Console(stderr=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
Party = Annotated[Optional[str], typer.Option("--as", help="The party you act as (with --server: the token's).", envvar="DECONFLICTION_PARTY")]
AgreementId = Annotated[Optional[str], typer.Option("--agreement", "-a", help="Agreement id (default: your only one).")]
Keys = Annotated[Optional[list[str]], typer.Option("--key", "-k", help="Current version of a conflicting notice you have reviewed (repeat).")]


class State:
    database: str = "deconfliction.db"
    server: str | None = None
    token: str | None = None


@app.callback()
def main_options(
    database: Annotated[str, typer.Option("--db", envvar="DECONFLICTION_DB", help="Store: a SQLite file, or postgresql://….")] = "deconfliction.db",
    server: Annotated[Optional[str], typer.Option("--server", envvar="DECONFLICTION_SERVER", help="Work through a server's API (http://…) instead of a store.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", envvar="DECONFLICTION_TOKEN", help="API token for --server.")] = None,
) -> None:
    State.database, State.server, State.token = database, server, token


def _system() -> Deconfliction:
    """The local store, or with --server the same facade over the HTTP API."""
    if State.server:
        if not State.token:
            raise InvalidInput("--server needs --token (or DECONFLICTION_TOKEN)", field="--token")
        from .client import RemoteDeconfliction

        return RemoteDeconfliction(State.server, State.token)  # type: ignore[return-value]
    return connect(State.database)


def _local() -> Deconfliction:
    if State.server:
        raise InvalidInput("this command works on a store, not through --server", field="--server")
    return connect(State.database)


def _session(party: str | None) -> tuple[Deconfliction, str]:
    """The system and who acts: --as, or with --server the token's party."""
    system = _system()
    if party is None and State.server:
        party = system.identity.party_id  # type: ignore[attr-defined]
    if party is None:
        raise InvalidInput("say which party you act as: --as PARTY (or DECONFLICTION_PARTY)", field="--as")
    return system, party


def _emit(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def _fail(exc: DeconflictionError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": exc.to_dict()}, default=str))
    else:
        errors.print(f"[bold red]refused[/] {escape(f'[{exc.code}]')} {escape(str(exc))}")
        missing = exc.details.get("missing") or exc.details.get("conflicting")
        if missing:
            for n in missing:
                errors.print(f"  notice {n['id']} by {n['party_id']} ({n['state']}), version [bold]{n['version']}[/]")
            if exc.code == "missing_key":
                keys = " ".join(f"--key {n['version']}" for n in missing)
                errors.print(f"Review them (deconfliction notice show ID --as …), then file again with: {keys}")
    raise typer.Exit(code=2 if exc.status < 500 else 1)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="file") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}", field="file") from None


def _agreement_of(system: Deconfliction, party: str, agreement: str | None) -> str:
    if agreement:
        return agreement
    mine = system.agreements(party)
    if len(mine) != 1:
        raise InvalidInput(f"{party} is a member of {len(mine)} agreements; name one with --agreement", field="agreement")
    return mine[0].id


def _guarded(as_json: bool):
    """Run a command body, turning refusals into a clear message and exit code 2."""

    class Guard:
        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            if isinstance(exc, DeconflictionError):
                _fail(exc, as_json)
            return False

    return Guard()


# init / agreements -------------------------------------------------------------------------------
@app.command()
def init(
    agreement_file: Annotated[Optional[Path], typer.Option("--agreement", "-a", help="Agreement TOML; default: the built-in example.")] = None,
    example: Annotated[str, typer.Option(help="Built-in example to use without --agreement: wildfire, memorandum or utm.")] = "wildfire",
    as_json: Json = False,
) -> None:
    """Create the store (if need be) and load an agreement with its parties."""
    with _guarded(as_json):
        text = agreement_file.read_text() if agreement_file else example_agreement_text(example)
        agreement, parties = load_toml(text)
        system = _local()
        system.add_agreement(agreement, parties)
        if as_json:
            _emit({"database": State.database, "agreement": agreement.model_dump(mode="json")})
        else:
            console.print(f"Store [bold]{State.database}[/] has agreement [bold]{agreement.id}[/] with parties {', '.join(agreement.parties)}.")


@agreement_app.command("list")
def agreement_list(as_json: Json = False) -> None:
    """All agreements in the store."""
    with _guarded(as_json):
        agreements = _system().agreements()
        if as_json:
            _emit([a.model_dump(mode="json") for a in agreements])
            return
        for a in agreements:
            console.print(f"[bold]{a.id}[/]  {a.name}  parties: {', '.join(a.parties)}")


@agreement_app.command("show")
def agreement_show(agreement_id: str, as_json: Json = False) -> None:
    """An agreement's rules."""
    with _guarded(as_json):
        agreement: Agreement = _system().agreement(agreement_id)
        if as_json:
            _emit(agreement.model_dump(mode="json"))
            return
        s = agreement.separation
        console.print(f"[bold]{agreement.id}[/] — {agreement.name}")
        console.print(f"parties: {', '.join(agreement.parties)}")
        console.print(f"separation: {render.distance(s.lateral_m)} lateral, {render.height(s.vertical_m)} vertical, {s.time_buffer_s / 60:.0f} min buffer")
        console.print(f"lead time: {agreement.min_lead_time_s / 60:.0f} min ({agreement.late_notices} late notices); horizon {agreement.planning_horizon_s / 86400:.1f} d")
        console.print(f"conflict policy: {agreement.conflict_policy}; acknowledge notices within {agreement.notice_ack_deadline_s / 60:.0f} min")
        for channel in agreement.channels:
            console.print(f"channel: {channel.name} {channel.contact}{' (area)' if channel.area else ''}")


# notices -----------------------------------------------------------------------------------------
def _private(reference: str | None, remarks: str | None) -> NoticePrivate | None:
    if reference is None and remarks is None:
        return None
    return NoticePrivate(reference=reference, remarks=remarks)


@notice_app.command("file")
def notice_file(
    file: Annotated[Path, typer.Argument(help="Volumes: F3548 Volume4D(s), GeoJSON, or {\"volumes\": [...]}.")],
    party: Party = None,
    agreement: AgreementId = None,
    key: Keys = None,
    reference: Annotated[Optional[str], typer.Option(help="Your own reference (never shown to others).")] = None,
    remarks: Annotated[Optional[str], typer.Option(help="Your own remarks (never shown to others).")] = None,
    notice_id: Annotated[Optional[str], typer.Option("--id", help="Choose the notice id (default: a new UUID).")] = None,
    as_json: Json = False,
) -> None:
    """File a notice. Refused unless --key holds the current version of every notice it conflicts with."""
    with _guarded(as_json):
        system, party = _session(party)
        volumes = load_volumes(_read_json(file), now=system.clock())
        filing = system.file_notice(
            party, _agreement_of(system, party, agreement), volumes, key=key or [], private=_private(reference, remarks), notice_id=notice_id
        )
        _show_filing(filing, party, as_json, "filed")


def _show_filing(filing, party: str, as_json: bool, verb: str) -> None:
    if as_json:
        _emit({"notice": filing.notice.model_dump(mode="json"), "conflicts": [c.model_dump(mode="json") for c in filing.conflicts], "late": filing.late})
        return
    notice = filing.notice
    console.print(f"Notice [bold]{notice.id}[/] {verb}: {notice.state}, version [bold]{notice.version}[/]" + (" [yellow](late)[/]" if filing.late else ""))
    if filing.conflicts:
        console.print(render.conflicts_table(filing.conflicts, title="Conflicts to acknowledge"))


@notice_app.command("change")
def notice_change(
    notice_id: str,
    version: Annotated[str, typer.Option(help="The version you are changing (optimistic concurrency).")],
    party: Party = None,
    file: Annotated[Optional[Path], typer.Argument(help="New volumes (omit to change only the state).")] = None,
    state: Annotated[Optional[str], typer.Option(help="New state: active, ended, cancelled.")] = None,
    key: Keys = None,
    as_json: Json = False,
) -> None:
    """Change a notice's volumes or state."""
    with _guarded(as_json):
        system, party = _session(party)
        volumes = load_volumes(_read_json(file), now=system.clock()) if file else None
        filing = system.change_notice(party, notice_id, version=version, volumes=volumes, state=state, key=key or [])
        _show_filing(filing, party, as_json, "changed")


def _state_command(name: str, state: str, help_text: str):
    def command(notice_id: str, party: Party = None, version: Annotated[Optional[str], typer.Option()] = None, as_json: Json = False) -> None:
        with _guarded(as_json):
            system, party = _session(party)
            filing = system.change_notice(party, notice_id, version=version, state=state)
            _show_filing(filing, party, as_json, state)

    command.__doc__ = help_text
    notice_app.command(name)(command)


_state_command("activate", "active", "Mark a notice active (its operation has started).")
_state_command("end", "ended", "End a notice (its operation is over).")
_state_command("cancel", "cancelled", "Cancel a notice.")


@notice_app.command("list")
def notice_list(
    party: Party = None,
    agreement: AgreementId = None,
    owner: Annotated[Optional[str], typer.Option("--party", help="Only this party's notices.")] = None,
    area: Annotated[Optional[Path], typer.Option(help="Only notices reaching into these volumes (file).")] = None,
    live: Annotated[bool, typer.Option(help="Only planned, active and nonconforming notices.")] = False,
    limit: int = 100,
    as_json: Json = False,
) -> None:
    """Notices you may see: yours in full, others' minimised."""
    with _guarded(as_json):
        system, party = _session(party)
        areas = load_volumes(_read_json(area), now=system.clock()) if area else [None]
        found = {}
        for volume in areas:
            for n in system.notices(party, agreement_id=agreement, party_id=owner, area=volume, live_only=live, limit=limit):
                found[n.id] = n
        notices = sorted(found.values(), key=lambda n: n.start)
        if as_json:
            _emit([n.seen_by(party) for n in notices])
        else:
            console.print(render.notices_table(notices, viewer=party))


@notice_app.command("show")
def notice_show(notice_id: str, party: Party = None, as_json: Json = False) -> None:
    """One notice: all of it if it is yours, minimised otherwise."""
    with _guarded(as_json):
        system, party = _session(party)
        notice = system.notice(party, notice_id)
        if as_json:
            _emit(notice.seen_by(party))
        else:
            console.print(render.notices_table([notice], viewer=party, title=f"Notice {notice.id}"))
            for i, v in enumerate(notice.volumes):
                fp = v.footprint
                shape = f"circle r={render.distance(fp.radius_m)} at {fp.lat:.5f},{fp.lon:.5f}" if fp.kind == "circle" else f"polygon of {len(fp.vertices)} vertices"
                console.print(
                    f"  volume {i}: {shape}; {render.height(v.altitude.lower_m)}–{render.height(v.altitude.upper_m)} {v.altitude.datum}; "
                    f"{render.when(v.time.start)} → {render.when(v.time.end)}"
                )


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Volumes to check (F3548 or GeoJSON).")],
    party: Party = None,
    agreement: AgreementId = None,
    as_json: Json = False,
) -> None:
    """Which notices these volumes would conflict with, without filing anything."""
    with _guarded(as_json):
        system, party = _session(party)
        findings = system.check(party, _agreement_of(system, party, agreement), load_volumes(_read_json(file), now=system.clock()))
        if as_json:
            _emit([{"notice": f.notice.minimised().model_dump(mode="json"), "lateral_m": f.closest.lateral_m, "vertical_m": f.closest.vertical_m} for f in findings])
            return
        if not findings:
            console.print("No conflicts.")
            return
        for f in findings:
            console.print(
                f"conflicts with {f.notice.id} by {f.notice.party_id}: {render.distance(f.closest.lateral_m)} apart, "
                f"vertical gap {render.height(f.closest.vertical_m)}; version [bold]{f.notice.version}[/]"
            )
        console.print("File with: " + " ".join(f"--key {f.notice.version}" for f in findings))


# conflicts ---------------------------------------------------------------------------------------
@conflicts_app.callback()
def conflicts_list(
    ctx: typer.Context,
    party: Annotated[Optional[str], typer.Option("--as", help="Only your conflicts (default: all, as administrator).", envvar="DECONFLICTION_PARTY")] = None,
    notice: Annotated[Optional[str], typer.Option(help="Only the conflicts of this notice.")] = None,
    include_cleared: Annotated[bool, typer.Option("--all", help="Include cleared conflicts.")] = False,
    as_json: Json = False,
) -> None:
    """List conflicts (or: conflicts ack ID --as PARTY)."""
    if ctx.invoked_subcommand is not None:
        return
    with _guarded(as_json):
        system = _system()
        if party is None and State.server:
            party = system.identity.party_id  # type: ignore[attr-defined]
        found = system.conflicts(party, notice_id=notice, open_only=not include_cleared, limit=1000)
        if as_json:
            _emit([c.model_dump(mode="json") for c in found])
        else:
            console.print(render.conflicts_table(found))


@conflicts_app.command("ack")
def conflicts_ack(conflict_id: str, party: Party = None, as_json: Json = False) -> None:
    """Acknowledge a conflict on your side."""
    with _guarded(as_json):
        system, party = _session(party)
        matches = [c.id for c in system.conflicts(party, open_only=False, limit=100000) if c.id.startswith(conflict_id)]
        conflict = system.acknowledge_conflict(party, matches[0] if len(matches) == 1 else conflict_id)
        if as_json:
            _emit(conflict.model_dump(mode="json"))
        else:
            console.print(render.conflicts_table([conflict], title="Acknowledged"))


@app.command()
def channels(
    party: Party = None,
    agreement: AgreementId = None,
    at_lon: Annotated[Optional[float], typer.Option("--at-lon", help="With --at-lat: the channels that apply at this place, the applying one first.")] = None,
    at_lat: Annotated[Optional[float], typer.Option("--at-lat", help="Latitude of that place.")] = None,
    at: Annotated[Optional[datetime], typer.Option("--at", help="Only channels in effect then (UTC).", formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"])] = None,
    area: Annotated[Optional[Path], typer.Option(help="Only channels reaching into these volumes (file; not with --server).")] = None,
    as_json: Json = False,
) -> None:
    """The agreement's channel plan: its channels and those assigned from its pool (docs/channels.md)."""
    with _guarded(as_json):
        if (at_lon is None) != (at_lat is None):
            raise InvalidInput("give --at-lon and --at-lat together", field="--at-lat" if at_lat is None else "--at-lon")
        system, party = _session(party)
        agreement_id = _agreement_of(system, party, agreement)
        when = at if at is None or at.tzinfo else at.replace(tzinfo=timezone.utc)
        point = (at_lon, at_lat) if at_lon is not None and at_lat is not None else None
        areas = load_volumes(_read_json(area), now=system.clock()) if area else [None]
        found: dict[tuple, Any] = {}
        for volume in areas:
            for item in system.channels(party, agreement_id, area=volume, at=when, point=point):
                found.setdefault((item.name, item.source, tuple(item.notices)), item)
        items = list(found.values())
        if as_json:
            _emit([i.model_dump(mode="json") for i in items])
        else:
            console.print(render.channels_table(items, title=f"Channels of {agreement_id}" + (f" at {at_lon}, {at_lat}" if point else "")))


@notice_app.command("ack")
def notice_ack(notice_id: str, party: Party = None, as_json: Json = False) -> None:
    """Acknowledge another party's notice (its current version)."""
    with _guarded(as_json):
        system, party = _session(party)
        deadline = system.acknowledge_notice(party, notice_id)
        if as_json:
            _emit(deadline.model_dump(mode="json"))
        else:
            late = deadline.acknowledged_at and deadline.acknowledged_at > deadline.due_at
            console.print(f"Acknowledged notice {notice_id} (version {deadline.subject_version})" + (" [yellow]after the deadline[/]" if late else ""))


# hotline ------------------------------------------------------------------------------------------
def _message_id(system: Deconfliction, party: str, given: str) -> str:
    """A message id, or an unambiguous prefix of one in the party's inbox or sent messages."""
    if len(given) >= 32:
        return given
    known = [i.message.id for i in system.inbox(party, limit=1000)] + [m.id for m in system.sent(party, limit=1000)]
    matches = {m for m in known if m.startswith(given)}
    return matches.pop() if len(matches) == 1 else given


@hotline_app.command("send")
def hotline_send(
    text: Annotated[str, typer.Argument(help="The message.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help=f"One of {', '.join(MESSAGE_KINDS)}.")] = "info",
    to: Annotated[Optional[list[str]], typer.Option("--to", help="A co-party (repeat); default: all of them.")] = None,
    notice: Annotated[Optional[list[str]], typer.Option("--notice", help="A notice the message is about (repeat).")] = None,
    conflict: Annotated[Optional[list[str]], typer.Option("--conflict", help="A conflict the message is about (repeat).")] = None,
    aircraft: Annotated[Optional[list[str]], typer.Option("--aircraft", help="An aircraft (callsign or ICAO address; repeat).")] = None,
    reply_to: Annotated[Optional[str], typer.Option("--reply-to", help="The message this answers.")] = None,
    agreement: AgreementId = None,
    party: Party = None,
    as_json: Json = False,
) -> None:
    """Send a hotline message; every recipient owes an acknowledgment by the agreement's deadline."""
    with _guarded(as_json):
        system, party = _session(party)
        agreement_id = _agreement_of(system, party, agreement)
        refs = MessageRefs(notices=notice or [], conflicts=conflict or [], aircraft=aircraft or [])
        in_reply_to = _message_id(system, party, reply_to) if reply_to else None
        message = system.send_message(party, agreement_id, kind=kind, text=text, to=to, refs=refs, in_reply_to=in_reply_to)
        if as_json:
            _emit(message.model_dump(mode="json"))
        else:
            due = max((a.due_at for a in message.acknowledgments), default=None)
            console.print(f"Sent {message.kind} {message.id} to {', '.join(message.to)}; acknowledgment due {render.when(due)}")


@hotline_app.command("inbox")
def hotline_inbox(
    state: Annotated[Optional[str], typer.Option(help="Only pending, overdue or acknowledged messages.")] = None,
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Only this agreement.")] = None,
    party: Party = None,
    as_json: Json = False,
) -> None:
    """Messages to you: overdue first, then pending by due time, then the rest."""
    with _guarded(as_json):
        system, party = _session(party)
        items = system.inbox(party, agreement_id=agreement, state=state, limit=1000)
        if as_json:
            _emit([i.model_dump(mode="json") for i in items])
        else:
            console.print(render.inbox_table(items))


@hotline_app.command("sent")
def hotline_sent(
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Only this agreement.")] = None,
    party: Party = None,
    as_json: Json = False,
) -> None:
    """Messages you sent, newest first, with who has acknowledged them."""
    with _guarded(as_json):
        system, party = _session(party)
        messages = system.sent(party, agreement_id=agreement, limit=1000)
        if as_json:
            _emit([m.model_dump(mode="json") for m in messages])
        else:
            console.print(render.messages_table(messages, title="Sent"))


@hotline_app.command("ack")
def hotline_ack(message_id: str, party: Party = None, as_json: Json = False) -> None:
    """Acknowledge a message you received (its id or a unique prefix)."""
    with _guarded(as_json):
        system, party = _session(party)
        deadline = system.acknowledge_message(party, _message_id(system, party, message_id))
        if as_json:
            _emit(deadline.model_dump(mode="json"))
        else:
            late = deadline.acknowledged_at and deadline.acknowledged_at > deadline.due_at
            console.print(f"Acknowledged message {deadline.subject_id}" + (" [yellow]after the deadline[/]" if late else ""))


@hotline_app.command("thread")
def hotline_thread(message_id: str, party: Party = None, as_json: Json = False) -> None:
    """The conversation a message belongs to, with who acknowledged each message."""
    with _guarded(as_json):
        system, party = _session(party)
        messages = system.thread(party, _message_id(system, party, message_id))
        if as_json:
            _emit([m.model_dump(mode="json") for m in messages])
        else:
            console.print(render.messages_table(messages))


@hotline_app.command("lines")
def hotline_lines(agreement: AgreementId = None, party: Party = None, as_json: Json = False) -> None:
    """Whose hotline answers: each party's line, from its last settled line test."""
    with _guarded(as_json):
        system, party = _session(party)
        lines = system.lines(party, _agreement_of(system, party, agreement))
        if as_json:
            _emit([line.model_dump(mode="json") for line in lines])
        else:
            console.print(render.lines_table(lines))


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Optional[Path], typer.Option("--file", help="An exported log (JSON Lines) instead of the store.")] = None,
    as_json: Json = False,
) -> None:
    """Recompute the hash chain; name the first entry that was edited, removed or reordered."""
    from . import audit

    with _guarded(as_json):
        try:
            verdict = audit.verify(audit.read_export(file)) if file else _system().verify_audit()
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read the log: {exc}", field="file") from None
        if as_json:
            _emit({"ok": verdict.ok, "entries": verdict.entries, "first_bad_seq": verdict.first_bad_seq, "reason": verdict.reason})
        elif verdict.ok:
            console.print(f"[green]OK[/]: {verdict.entries} entries, chain intact.")
        else:
            errors.print(f"[bold red]BROKEN[/] at entry {verdict.first_bad_seq}: {verdict.reason}")
        if not verdict.ok:
            raise typer.Exit(code=1)


@audit_app.command("export")
def audit_export(out: Annotated[Optional[Path], typer.Option("--out", help="File to write (default: standard output).")] = None) -> None:
    """Write the whole log as JSON Lines; anyone holding it can run `audit verify --file`."""
    from . import audit

    with _guarded(False):
        system = _local()
        with system.store.transaction(write=False) as tx:
            lines = audit.export_lines(audit.read_all(tx))
            if out:
                with open(out, "w") as sink:
                    sink.writelines(lines)
            else:
                sys.stdout.writelines(lines)


@report_app.command("compliance")
def report_compliance(
    agreement: Annotated[str, typer.Option("--agreement", "-a", help="Agreement id.")],
    start: Annotated[datetime, typer.Option("--from", help="Start (UTC).", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"])],
    end: Annotated[datetime, typer.Option("--to", help="End, exclusive (UTC).", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"])],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Per party: notices, lead times given, late notices, acknowledgments and their delays, overdue ones."""
    with _guarded(output == "json"):
        if output not in ("table", "csv", "json"):
            raise InvalidInput("use table, csv or json", field="format")
        utc = lambda moment: moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # noqa: E731
        report = _system().compliance(agreement, utc(start), utc(end))
        if output == "json":
            _emit(report.model_dump(mode="json"))
        elif output == "csv":
            sys.stdout.write(report.to_csv())
        else:
            console.print(render.compliance_table(report))


@app.command()
def events(party: Party = None, after: Annotated[int, typer.Option(help="Resume after this sequence number.")] = 0, limit: int = 100, as_json: Json = False) -> None:
    """Your event feed, in order, resumable with --after."""
    with _guarded(as_json):
        system, party = _session(party)
        found = system.events(party, after, limit)
        if as_json:
            _emit([e.model_dump(mode="json") for e in found])
            return
        for e in found:
            console.print(f"{e.seq:>6}  {render.when(e.created_at)}  {e.kind}")


@app.command()
def demo(
    database: Annotated[Path, typer.Option("--db", help="Where to write the demo store (replaced).")] = Path("deconfliction-demo.db"),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 0,
    tracks: Annotated[Optional[Path], typer.Option(help="Recorded ADS-B to replay (default: ../shared/data/adsb/calfire.json.gz when present).")] = None,
    real_tracks: Annotated[bool, typer.Option("--real-tracks/--simulated-only", help="Replay a recording besides the simulated aircraft.")] = True,
    tracks_party: Annotated[str, typer.Option(help="The party whose aircraft the recording's are.")] = "calfire",
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve it (console, API, live tracks) until Ctrl-C, or only print the story.")] = True,
    as_json: Json = False,
) -> None:
    """The example agreement with three parties, notices (some conflicting), a hotline alert and live
    aircraft, served with the web console until Ctrl-C; prints the console's URL and a token per party."""
    if serve:
        if as_json:
            _fail(InvalidInput("--json goes with --no-serve", field="--json"), as_json)
        if tracks is not None and not tracks.is_file():
            _fail(InvalidInput(f"no such file: {tracks}", field="--tracks"), as_json)
        from .api.demo import serve as serve_demo

        with _guarded(as_json):
            serve_demo(database, port=port, tracks=tracks, real_tracks=real_tracks, tracks_party=tracks_party)
        return
    from .api.demo import fresh_store

    with _guarded(as_json):
        system = fresh_store(database)
        story = seed(system)
        found = system.conflicts(None, limit=1000)
        if as_json:
            _emit({"database": str(database), "story": story.lines, "conflicts": [c.model_dump(mode="json") for c in found]})
            return
        for line in story.lines:
            console.print(f"• {line}")
        console.print(render.conflicts_table(found, title="Open conflicts"))
        console.print(f"\nExplore: deconfliction --db {database} notice list --as sheriff   |   deconfliction --db {database} conflicts --as skyview")


def _register_parts() -> None:
    """Commands that live beside their capability: the tactical monitor, the server."""
    from .api.cli import register as register_server
    from .monitor.cli import register as register_monitor

    register_monitor(app)
    register_server(app)


_register_parts()


def main() -> None:
    if os.environ.get("DECONFLICTION_DEBUG"):
        app()
        return
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
