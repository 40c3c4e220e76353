"""`deconfliction conflicts` (list) and `deconfliction conflicts ack`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from . import arguments, render
from .app import app
from .output import Json, guarded, show
from .session import AsParty, State, acting, connected, token_party

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
        elif not State.server:
            arguments.party_known(system, party)
        if notice is not None and party is not None:
            notice = arguments.notice_id(system, party, notice)
        found = system.conflicts(party, notice_id=notice, open_only=not include_cleared, limit=1000)
        show(as_json, lambda: [c.model_dump(mode="json") for c in found], lambda: render.conflicts_table(found))


@conflicts_app.command("ack")
def conflicts_ack(
    conflict_id: Annotated[Optional[str], typer.Argument(help="A conflict's id or its prefix.")] = None,
    notice: Annotated[Optional[str], typer.Option("--notice", help="Instead: every open conflict of this notice (id or prefix).")] = None,
    party: AsParty = None,
    as_json: Json = False,
) -> None:
    """Acknowledge a conflict on your side (or all open conflicts of one notice)."""
    with guarded(as_json):
        system, party = acting(party)
        if (conflict_id is None) == (notice is None):
            raise InvalidInput("give a conflict id, or --notice NOTICE_ID", field="conflict_id")
        if notice is not None:
            ids = [c.id for c in system.conflicts(party, notice_id=arguments.notice_id(system, party, notice), limit=1000)]
            if not ids:
                raise InvalidInput(f"notice {notice!r} has no open conflict of yours", field="--notice")
        else:
            ids = [arguments.conflict_id(system, party, conflict_id)]
        done = [system.acknowledge_conflict(party, i) for i in ids]
        show(as_json, lambda: done[0].model_dump(mode="json") if conflict_id is not None else [c.model_dump(mode="json") for c in done],
             lambda: render.conflicts_table(done, title="Acknowledged"))
