"""Command-line front of the data formats: `export` (KML, GeoJSON, CSV) and `zones import|list`.

`register(app)` adds them to the main `deconfliction` app; the shared options and the session come
from cli.py (imported when a command runs, since cli.py registers this module while it loads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ExportFormat = Annotated[str, typer.Option("--format", "-f", help="kml, geojson or csv (conflicts).")]


def export_command(
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Agreement id (default: your only one).")] = None,
    file_format: ExportFormat = "kml",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="File to write (default: standard output).")] = None,
    party: Annotated[Optional[str], typer.Option("--as", help="The party you act as.", envvar="DECONFLICTION_PARTY")] = None,
) -> None:
    """Write the agreement's notices (others' minimised), your conflicts and its zones as KML or
    GeoJSON, or your conflicts as CSV: the same view as the API gives you."""
    from . import cli, export
    from .errors import InvalidInput

    with cli._guarded(False):
        if file_format not in export.FORMATS:
            raise InvalidInput(f"must be one of {', '.join(export.FORMATS)}", field="--format")
        system, who = cli._session(party)
        agreement_id = cli._agreement_of(system, who, agreement)
        text = export.render(export.gather(system, who, agreement_id), file_format)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        cli.errors.print(f"wrote {out} ({len(text.encode()):,} bytes)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
