"""`deconfliction audit verify|export` and `deconfliction report compliance`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from . import arguments, render
from .app import app
from .output import Json, console, emit, guarded, stderr
from .kept_heads import verify_with_head
from .session import connected, local

audit_app = typer.Typer(help="The tamper-evident record: verify, export, signed heads and offline evidence (cli/evidence.py).", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(report_app, name="report")


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Optional[Path], typer.Option("--file", help="An exported log (JSON Lines) instead of the store.")] = None,
    head: Annotated[Optional[Path], typer.Option("--head", help="A signed head you kept (audit head --out): check that the log still extends it.")] = None,
    as_json: Json = False,
) -> None:
    """Recompute the hash chain; name the first entry that was edited, removed or reordered. With
    --head, check the log against a signed head kept earlier instead: an operator who rewrote the log
    and its hashes is caught there (exit code 3)."""
    from ..rules import audit

    with guarded(as_json):
        if head is not None:
            verify_with_head(head, file, as_json)
            return
        try:
            verdict = audit.verify(audit.read_export(file)) if file else connected().verify_audit()
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read the log: {exc}", field="file") from None
        if as_json:
            emit({"ok": verdict.ok, "entries": verdict.entries, "first_bad_seq": verdict.first_bad_seq, "reason": verdict.reason})
        elif verdict.ok:
            console.print(f"[green]OK[/]: {verdict.entries} entries, chain intact.")
        else:
            stderr.print(f"[bold red]BROKEN[/] at entry {verdict.first_bad_seq}: {verdict.reason}")
        if not verdict.ok:
            raise typer.Exit(code=1)


@audit_app.command("export")
def audit_export(out: Annotated[Optional[Path], typer.Option("--out", help="File to write (default: standard output).")] = None) -> None:
    """Write the whole log as JSON Lines; anyone holding it can run `audit verify --file`."""
    from ..rules import audit

    with guarded(False):
        lines = local().read(lambda tx: list(audit.export_lines(audit.read_all(tx))))
        if out:
            with open(out, "w") as sink:
                sink.writelines(lines)
        else:
            sys.stdout.writelines(lines)


@report_app.command("compliance")
def report_compliance(
    agreement: Annotated[str, typer.Option("--agreement", "-a", help="Agreement id.")],
    start: Annotated[str, typer.Option("--from", help="Start: a date (00:00Z), 'now', or RFC 3339 with a zone.")],
    end: Annotated[str, typer.Option("--to", help="End, exclusive: a date (00:00Z), 'now', or RFC 3339 with a zone.")],
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Per party: notices, lead times given, late notices, acknowledgments and their delays, overdue ones."""
    with guarded(output == "json"):
        if output not in ("table", "csv", "json"):
            raise InvalidInput("use table, csv or json", field="format")
        system = connected()
        now = system.clock()
        report = system.compliance(agreement, arguments.parse_when(start, now=now, field="--from"), arguments.parse_when(end, now=now, field="--to"))
        if output == "json":
            emit(report.model_dump(mode="json"))
        elif output == "csv":
            sys.stdout.write(report.to_csv())
        else:
            console.print(render.compliance_table(report))
