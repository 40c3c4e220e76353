"""`deconfliction demo`: the example story, served with the console and live aircraft until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from . import render
from .app import app
from .output import Json, console, emit, fail, guarded


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
            fail(InvalidInput("--json goes with --no-serve", field="--json"), as_json)
        if tracks is not None and not tracks.is_file():
            fail(InvalidInput(f"no such file: {tracks}", field="--tracks"), as_json)
        from ..demo.serve import serve as serve_demo

        with guarded(as_json):
            serve_demo(database, port=port, tracks=tracks, real_tracks=real_tracks, tracks_party=tracks_party)
        return
    from ..demo.serve import fresh_store
    from ..demo.story import seed

    with guarded(as_json):
        system = fresh_store(database)
        story = seed(system)
        found = system.conflicts(None, limit=1000)
        if as_json:
            emit({"database": str(database), "story": story.lines, "conflicts": [c.model_dump(mode="json") for c in found]})
            return
        for line in story.lines:
            console.print(f"• {line}")
        console.print(render.conflicts_table(found, title="Open conflicts"))
        console.print(f"\nExplore: deconfliction --db {database} notice list --as sheriff   |   deconfliction --db {database} conflicts --as skyview")
