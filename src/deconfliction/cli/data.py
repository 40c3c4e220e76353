"""`deconfliction export` (KML, GeoJSON, CSV) and `deconfliction zones import|list` (docs/data.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .output import Json, console, guarded, stderr
from .session import AsParty, acting, agreement_of, connected

ExportFormat = Annotated[str, typer.Option("--format", "-f", help="kml, geojson or csv (conflicts).")]


def export_command(
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Agreement id (default: your only one).")] = None,
    file_format: ExportFormat = "kml",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="File to write (default: standard output).")] = None,
    party: AsParty = None,
) -> None:
    """Write the agreement's notices (others' minimised), your conflicts and its zones as KML or
    GeoJSON, or your conflicts as CSV: the same view as the API gives you."""
    from .. import export
    from ..errors import InvalidInput

    with guarded(False):
        if file_format not in export.FORMATS:
            raise InvalidInput(f"must be one of {', '.join(export.FORMATS)}", field="--format")
        system, who = acting(party)
        agreement_id = agreement_of(system, who, agreement)
        text = export.render(export.gather(system, who, agreement_id), file_format)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        stderr.print(f"wrote {out} ({len(text.encode()):,} bytes)", highlight=False)


zones_app = typer.Typer(help="An agreement's zones (constraints): import ED-318/ED-269, AIXM 5.1, OpenAir files; list them.",
                        no_args_is_help=True)


@zones_app.command("import")
def zones_import(
    file: Annotated[Path, typer.Argument(help="ED-318 / ED-269 JSON, AIXM 5.1 XML, OpenAir text or traffic airspace JSON.",
                                         exists=True, dir_okay=False)],
    agreement: Annotated[str, typer.Option("--agreement", "-a", help="The agreement the zones belong to.")],
    file_format: Annotated[str, typer.Option("--format", "-f", help="auto, ed318, ed269, aixm, openair or traffic.")] = "auto",
    terrain_max: Annotated[Optional[str], typer.Option(
        "--terrain-max", help="Highest ground in the area (e.g. '1500 ft', '450'), for AGL limits; default: Everest.")] = None,
    terrain_min: Annotated[Optional[str], typer.Option(
        "--terrain-min", help="Lowest ground in the area, for AGL limits; default: the Dead Sea shore.")] = None,
    horizon: Annotated[str, typer.Option("--horizon", help="How far ahead to expand weekly schedules, e.g. '31 d', '7 d'.")] = "31 d",
    restriction: Annotated[str, typer.Option("--restriction", help="For formats without one (traffic JSON).")] = "information",
    replace: Annotated[bool, typer.Option("--replace", help="Remove the agreement's zones that the file does not have.")] = False,
    as_json: Json = False,
) -> None:
    """Import a zone file into an agreement (operator; on the store, or with --server and the operator's
    token through the API): a progress bar, then what was imported and what was skipped, with the
    reason. A bad file is refused whole, naming the element."""
    import json
    from datetime import timedelta

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from ..errors import InvalidInput
    from ..geometry import index_boxes
    from ..models.zones import RESTRICTIONS
    from ..units import parse_duration, parse_length
    from ..zones.importers import ImportOptions, import_file

    with guarded(as_json):
        if restriction not in RESTRICTIONS:
            raise InvalidInput(f"must be one of {', '.join(RESTRICTIONS)}", field="--restriction")
        def length(text: str | None, name: str, default: float) -> float:
            if text is None:
                return default
            try:
                return float(text)  # plain metres
            except ValueError:
                pass
            try:
                return parse_length(text, name)
            except ValueError as exc:
                raise InvalidInput(str(exc).removeprefix(f"{name}: "), field=name) from None

        terrain = None
        if terrain_max is not None or terrain_min is not None:
            terrain = (length(terrain_min, "--terrain-min", -430.0), length(terrain_max, "--terrain-max", 8849.0))
            if terrain[0] > terrain[1]:
                raise InvalidInput("the lowest ground is above the highest", field="--terrain-min")
        try:
            span = timedelta(seconds=parse_duration(horizon, "--horizon"))
        except ValueError as exc:
            raise InvalidInput(str(exc).removeprefix("--horizon: "), field="--horizon") from None
        system = connected()
        options = ImportOptions(agreement_id=agreement, now=system.clock(), horizon=span, terrain_m=terrain)
        result = import_file(file, options, file_format, restriction)
        progress = Progress(TextColumn("[bold]checking zones"), BarColumn(), MofNCompleteColumn(),
                            console=stderr, disable=as_json)
        with progress:
            task = progress.add_task("zones", total=len(result.zones))
            for zone in result.zones:  # every zone's band and index boxes, before anything is written
                for window in zone.schedule[:1] or [None]:
                    if window is not None:
                        for volume in zone.volumes_during(window):
                            index_boxes(volume)
                    else:
                        zone.band()
                progress.advance(task)
        counts = system.save_zones("admin", agreement, result.zones, replace=replace)
    summary = {
        "file": str(file), "format": result.format, "agreement": agreement, "imported": counts["saved"],
        "removed": counts["removed"], "by_restriction": {r: sum(z.restriction == r for z in result.zones) for r in RESTRICTIONS},
        "skipped": [{"element": element, "reason": reason} for element, reason in result.skipped],
    }
    if as_json:
        print(json.dumps(summary))
        return
    table = Table(title=f"{file.name} ({result.format}) into {agreement}")
    for column in ("zone", "restriction", "lower", "upper", "active"):
        table.add_column(column)
    for zone in result.zones[:50]:
        table.add_row(zone.name, zone.restriction, *zone.limits_text(),
                      "always" if not zone.schedule else f"{len(zone.schedule)} windows")
    console.print(table)
    for element, reason in result.skipped:
        console.print(f"skipped {element}: {reason}", highlight=False, markup=False)
    console.print(f"{counts['saved']} imported, {len(result.skipped)} skipped"
                      + (f", {counts['removed']} removed" if replace else ""), highlight=False)


@zones_app.command("list")
def zones_list(
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Agreement id (default: your only one).")] = None,
    party: AsParty = None,
    as_json: Json = False,
) -> None:
    """The agreement's zones."""
    import json

    from rich.table import Table

    with guarded(as_json):
        system, who = acting(party)
        agreement_id = agreement_of(system, who, agreement)
        zones = system.zones(who, agreement_id)
    if as_json:
        print(json.dumps([z.model_dump(mode="json") for z in zones]))
        return
    table = Table(title=f"zones of {agreement_id}")
    for column in ("zone", "restriction", "lower", "upper", "contact", "managed by"):
        table.add_column(column)
    for zone in zones:
        table.add_row(zone.name, zone.restriction, *zone.limits_text(), zone.contact, zone.manager or "operator")
    console.print(table)


app.command("export")(export_command)
app.add_typer(zones_app, name="zones")
