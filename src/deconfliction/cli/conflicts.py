"""`deconfliction conflicts` (list) and `deconfliction conflicts ack`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .app import app
from .output import Json, guarded, show
from .session import AsParty, acting, connected, token_party

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
        if party is None:
            party = token_party(system)
        found = system.conflicts(party, notice_id=notice, open_only=not include_cleared, limit=1000)
        show(as_json, lambda: [c.model_dump(mode="json") for c in found], lambda: render.conflicts_table(found))


@conflicts_app.command("ack")
def conflicts_ack(conflict_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """Acknowledge a conflict on your side."""
    with guarded(as_json):
        system, party = acting(party)
        matches = [c.id for c in system.conflicts(party, open_only=False, limit=100000) if c.id.startswith(conflict_id)]
        conflict = system.acknowledge_conflict(party, matches[0] if len(matches) == 1 else conflict_id)
        show(as_json, lambda: conflict.model_dump(mode="json"), lambda: render.conflicts_table([conflict], title="Acknowledged"))
