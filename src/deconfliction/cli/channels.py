"""`deconfliction channels`: the agreement's channel plan, or what applies at a place."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import InvalidInput
from . import arguments, render
from .app import app
from .output import Json, guarded, show
from .session import AgreementId, AsParty, acting, agreement_of, volumes_in


@app.command()
def channels(
    party: AsParty = None,
    agreement: AgreementId = None,
    at_lon: Annotated[Optional[float], typer.Option("--at-lon", help="With --at-lat: the channels that apply at this place, the applying one first.")] = None,
    at_lat: Annotated[Optional[float], typer.Option("--at-lat", help="Latitude of that place.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="Only channels in effect then: 'now', or RFC 3339 with a zone (2026-06-01T14:00:00Z).")] = None,
    area: Annotated[Optional[Path], typer.Option(help="Only channels reaching into these volumes (file; not with --server).")] = None,
    as_json: Json = False,
) -> None:
    """The agreement's channel plan: its channels and those assigned from its pool (docs/channels.md)."""
    with guarded(as_json):
        if (at_lon is None) != (at_lat is None):
            raise InvalidInput("give --at-lon and --at-lat together", field="--at-lat" if at_lat is None else "--at-lon")
        system, party = acting(party)
        agreement_id = agreement_of(system, party, agreement)
        when = None if at is None else arguments.parse_when(at, now=system.clock(), field="--at")
        point = (at_lon, at_lat) if at_lon is not None and at_lat is not None else None
        areas = volumes_in(area, system) if area else [None]
        found: dict[tuple, Any] = {}
        for volume in areas:
            for item in system.channels(party, agreement_id, area=volume, at=when, point=point):
                found.setdefault((item.name, item.source, tuple(item.notices)), item)
        items = list(found.values())
        show(as_json, lambda: [i.model_dump(mode="json") for i in items], lambda: render.channels_table(items, title=f"Channels of {agreement_id}" + (f" at {at_lon}, {at_lat}" if point else "")))
