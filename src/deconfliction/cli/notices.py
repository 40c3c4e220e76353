"""`deconfliction notice …` (file, change, activate, end, cancel, list, show, ack) and `deconfliction check`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import arguments, aviation, render
from .app import app
from .output import Json, console, emit, guarded, show
from .session import AgreementId, Keys, AsParty, acting, agreement_of, altitude_display, volumes_in

if TYPE_CHECKING:
    from ..models import NoticePrivate

notice_app = typer.Typer(help="File, change and read notices.", no_args_is_help=True)
app.add_typer(notice_app, name="notice")


def _private(reference: str | None, remarks: str | None) -> NoticePrivate | None:
    if reference is None and remarks is None:
        return None
    from ..models import NoticePrivate

    return NoticePrivate(reference=reference, remarks=remarks)


@notice_app.command("file")
def notice_file(
    file: Annotated[Path, typer.Argument(help="Volumes: F3548 Volume4D(s), GeoJSON, or {\"volumes\": [...]}.")],
    party: AsParty = None,
    agreement: AgreementId = None,
    key: Keys = None,
    reference: Annotated[Optional[str], typer.Option(help="Your own reference (never shown to others).")] = None,
    remarks: Annotated[Optional[str], typer.Option(help="Your own remarks (never shown to others).")] = None,
    notice_id: Annotated[Optional[str], typer.Option("--id", help="Choose the notice id, scoped to its agreement: stored as AGREEMENT:ID (default: a new UUID).")] = None,
    as_json: Json = False,
) -> None:
    """File a notice. Refused unless --key holds the current version of every notice it conflicts with."""
    with guarded(as_json):
        system, party = acting(party)
        volumes = volumes_in(file, system)
        filing = system.file_notice(
            party, agreement_of(system, party, agreement), volumes, key=key or [], private=_private(reference, remarks), notice_id=notice_id
        )
        _show_filing(filing, party, as_json, "filed")


def _show_filing(filing, party: str, as_json: bool, verb: str) -> None:
    if as_json:
        emit({"notice": filing.notice.model_dump(mode="json"), "conflicts": [c.model_dump(mode="json") for c in filing.conflicts], "late": filing.late,
              "zones": [z.model_dump(mode="json") for z in filing.zones]})
        return
    notice = filing.notice
    console.print(f"Notice [bold]{notice.id}[/] {verb}: {notice.state}, version [bold]{notice.version}[/]" + (" [yellow](late)[/]" if filing.late else ""))
    for hit in filing.zones:
        console.print(render.zone_hit(hit), highlight=False)
    if filing.conflicts:
        console.print(render.conflicts_table(filing.conflicts, title="Conflicts to acknowledge"))


@notice_app.command("change")
def notice_change(
    notice_id: str,
    version: Annotated[str, typer.Option(help="The version you are changing (optimistic concurrency).")],
    party: AsParty = None,
    file: Annotated[Optional[Path], typer.Argument(help="New volumes (omit to change only the state).")] = None,
    state: Annotated[Optional[str], typer.Option(help="New state: active, ended, cancelled.")] = None,
    key: Keys = None,
    as_json: Json = False,
) -> None:
    """Change a notice's volumes or state."""
    with guarded(as_json):
        system, party = acting(party)
        volumes = volumes_in(file, system) if file else None
        filing = system.change_notice(party, arguments.notice_id(system, party, notice_id), version=version, volumes=volumes, state=state, key=key or [])
        _show_filing(filing, party, as_json, "changed")


def _state_command(name: str, state: str, help_text: str):
    def command(notice_id: str, party: AsParty = None, version: Annotated[Optional[str], typer.Option()] = None, as_json: Json = False) -> None:
        with guarded(as_json):
            system, party = acting(party)
            filing = system.change_notice(party, arguments.notice_id(system, party, notice_id), version=version, state=state)
            _show_filing(filing, party, as_json, state)

    command.__doc__ = help_text
    notice_app.command(name)(command)


_state_command("activate", "active", "Mark a notice active (its operation has started).")
_state_command("end", "ended", "End a notice (its operation is over).")
_state_command("cancel", "cancelled", "Cancel a notice.")


@notice_app.command("list")
def notice_list(
    party: AsParty = None,
    agreement: AgreementId = None,
    owner: Annotated[Optional[str], typer.Option("--party", help="Only this party's notices.")] = None,
    area: Annotated[Optional[Path], typer.Option(help="Only notices reaching into these volumes (file).")] = None,
    live: Annotated[bool, typer.Option(help="Only planned, active and nonconforming notices.")] = False,
    limit: int = 100,
    as_json: Json = False,
) -> None:
    """Notices you may see: yours in full, others' minimised."""
    with guarded(as_json):
        system, party = acting(party)
        areas = volumes_in(area, system) if area else [None]
        found = {}
        for volume in areas:
            for n in system.notices(party, agreement_id=agreement, party_id=owner, area=volume, live_only=live, limit=limit):
                found[n.id] = n
        notices = sorted(found.values(), key=lambda n: n.start)
        show(as_json, lambda: [n.seen_by(party) for n in notices], lambda: render.notices_table(notices, viewer=party))


@notice_app.command("show")
def notice_show(notice_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """One notice: all of it if it is yours, minimised otherwise."""
    with guarded(as_json):
        system, party = acting(party)
        notice = system.notice(party, arguments.notice_id(system, party, notice_id))
        if as_json:
            emit(notice.seen_by(party))
        else:
            console.print(render.notice_details(notice, viewer=party, display=altitude_display(system, notice.agreement_id)))


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Volumes to check (F3548 or GeoJSON).")],
    party: AsParty = None,
    agreement: AgreementId = None,
    as_json: Json = False,
) -> None:
    """Which notices these volumes would conflict with, and the zones filing them would report or
    be refused by, without filing anything."""
    with guarded(as_json):
        system, party = acting(party)
        agreement = agreement_of(system, party, agreement)
        findings = system.check(party, agreement, volumes_in(file, system))
        if as_json:
            emit({"conflicts": [{"notice": f.notice.minimised().model_dump(mode="json"), "lateral_m": f.closest.lateral_m,
                                 "vertical_m": f.closest.vertical_m} for f in findings],
                  "zones": [z.model_dump(mode="json") for z in findings.zones], "refused": findings.refusal})
            return
        if findings.refusal:
            console.print(f"[red]Filing would be refused[/]: {findings.refusal['message']}", highlight=False)
        for hit in findings.zones:
            console.print(render.zone_hit(hit), highlight=False)
        if not findings:
            console.print("No conflicts.")
            return
        display = altitude_display(system, agreement)
        for f in findings:
            bands = "; ".join(sorted({aviation.band(v.altitude.lower_m, v.altitude.upper_m, v.altitude.datum, display) for v in f.notice.volumes}))
            console.print(
                f"conflicts with {f.notice.id} by {f.notice.party_id} ({bands}): {render.distance(f.closest.lateral_m)} apart, "
                f"vertical {aviation.vertical_gap(f.closest.vertical_m)}; version [bold]{f.notice.version}[/]"
            )
        if not findings.refusal:
            console.print("File with: " + " ".join(f"--key {f.notice.version}" for f in findings))


@notice_app.command("ack")
def notice_ack(notice_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """Acknowledge another party's notice (its current version)."""
    with guarded(as_json):
        system, party = acting(party)
        notice_id = arguments.notice_id(system, party, notice_id)
        deadline = system.acknowledge_notice(party, notice_id)
        if as_json:
            emit(deadline.model_dump(mode="json"))
        else:
            late = deadline.acknowledged_at and deadline.acknowledged_at > deadline.due_at
            console.print(f"Acknowledged notice {notice_id} (version {deadline.subject_version})" + (" [yellow]after the deadline[/]" if late else ""))
