"""`deconfliction init` and `deconfliction agreement list|show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import aviation, render
from .app import app
from .output import Json, console, emit, guarded, show
from .session import State, connected, local

agreement_app = typer.Typer(help="Agreements and their parties.", no_args_is_help=True)
app.add_typer(agreement_app, name="agreement")


@app.command()
def init(
    agreement_file: Annotated[Optional[Path], typer.Option("--agreement", "-a", help="Agreement TOML; default: the built-in example.")] = None,
    example: Annotated[str, typer.Option(help="Built-in example to use without --agreement: wildfire, memorandum or utm.")] = "wildfire",
    as_json: Json = False,
) -> None:
    """Create the store (if need be) and load an agreement with its parties."""
    from ..demo.story import example_agreement_text
    from ..models import load_toml

    with guarded(as_json):
        text = agreement_file.read_text() if agreement_file else example_agreement_text(example)
        agreement, parties = load_toml(text)
        system = local(create=True)
        system.add_agreement(agreement, parties)
        show(
            as_json,
            lambda: {"database": State.database, "agreement": agreement.model_dump(mode="json")},
            lambda: f"Store [bold]{State.database}[/] has agreement [bold]{agreement.id}[/] with parties {', '.join(agreement.parties)}.",
        )


@agreement_app.command("list")
def agreement_list(as_json: Json = False) -> None:
    """All agreements in the store."""
    with guarded(as_json):
        agreements = connected().agreements()
        if as_json:
            emit([a.model_dump(mode="json") for a in agreements])
            return
        for a in agreements:
            console.print(f"[bold]{a.id}[/]  {a.name}  parties: {', '.join(a.parties)}")


@agreement_app.command("show")
def agreement_show(agreement_id: str, as_json: Json = False) -> None:
    """An agreement's rules."""
    with guarded(as_json):
        agreement = connected().agreement(agreement_id)
        if as_json:
            emit(agreement.model_dump(mode="json"))
            return
        s = agreement.separation
        console.print(f"[bold]{agreement.id}[/] — {agreement.name}")
        console.print(f"parties: {', '.join(agreement.parties)}")
        console.print(f"separation: {render.distance(s.lateral_m)} lateral, {aviation.height(s.vertical_m)} vertical, {s.time_buffer_s / 60:.0f} min buffer")
        console.print(f"altitudes shown as: {'flight levels (AMSL bands)' if agreement.altitude_display == 'flight_level' else 'feet'}, metres beside")
        console.print(f"lead time: {agreement.min_lead_time_s / 60:.0f} min ({agreement.late_notices} late notices); horizon {agreement.planning_horizon_s / 86400:.1f} d")
        console.print(f"conflict policy: {agreement.conflict_policy}; acknowledge notices within {agreement.notice_ack_deadline_s / 60:.0f} min")
        for channel in agreement.channels:
            console.print(f"channel: {channel.name} {channel.contact}{' (area)' if channel.area else ''}")
