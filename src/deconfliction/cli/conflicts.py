"""`deconfliction conflicts` (list) and `deconfliction conflicts ack`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .app import app
from .output import Json, console, emit, guarded
from .session import AsParty, State, acting, connected

conflicts_app = typer.Typer(help="Conflicts between notices, and acknowledging them.", invoke_without_command=True)
app.add_typer(conflicts_app, name="conflicts")


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
    with guarded(as_json):
        system = connected()
        if party is None and State.server:
            party = system.identity.party_id
        found = system.conflicts(party, notice_id=notice, open_only=not include_cleared, limit=1000)
        if as_json:
            emit([c.model_dump(mode="json") for c in found])
        else:
            console.print(render.conflicts_table(found))


@conflicts_app.command("ack")
def conflicts_ack(conflict_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """Acknowledge a conflict on your side."""
    with guarded(as_json):
        system, party = acting(party)
        matches = [c.id for c in system.conflicts(party, open_only=False, limit=100000) if c.id.startswith(conflict_id)]
        conflict = system.acknowledge_conflict(party, matches[0] if len(matches) == 1 else conflict_id)
        if as_json:
            emit(conflict.model_dump(mode="json"))
        else:
            console.print(render.conflicts_table([conflict], title="Acknowledged"))
