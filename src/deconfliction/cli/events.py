"""`deconfliction events`: your durable feed, resumable with --after."""

from __future__ import annotations

from typing import Annotated

import typer

from . import render
from .app import app
from .output import Json, console, emit, guarded
from .session import AsParty, acting


@app.command()
def events(party: AsParty = None, after: Annotated[int, typer.Option(help="Resume after this sequence number.")] = 0, limit: int = 100, as_json: Json = False) -> None:
    """Your event feed, in order, resumable with --after."""
    with guarded(as_json):
        system, party = acting(party)
        found = system.events(party, after, limit)
        if as_json:
            emit([e.model_dump(mode="json") for e in found])
            return
        for e in found:
            console.print(f"{e.seq:>6}  {render.when(e.created_at)}  {e.kind}")
