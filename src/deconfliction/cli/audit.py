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
from .kept_heads import ALARM_EXIT, verify_with_head, write_json
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
    receipts: Annotated[Optional[Path], typer.Option("--receipts", help="Also save the whole report, with the receipts behind its figures and its signed head, to this file (JSON; `report check` verifies it).")] = None,
    as_json: Json = False,
) -> None:
    """Per party: notices, lead times given, late notices, acknowledgments and their delays, overdue ones.
    Each late notice, late or overdue acknowledgment, escalation and missed line test is backed by the
    audit entry that records it, with its inclusion proof under the report's signed head (in the JSON)."""
    output = "json" if as_json else output
    with guarded(output == "json"):
        if output not in ("table", "csv", "json"):
            raise InvalidInput("use table, csv or json", field="format")
        system = connected()
        now = system.clock()
        report = system.compliance(agreement, arguments.parse_when(start, now=now, field="--from"), arguments.parse_when(end, now=now, field="--to"))
        if receipts is not None:
            write_json(report.model_dump(mode="json"), receipts)
        if output == "json":
            emit(report.model_dump(mode="json"))
        elif output == "csv":
            sys.stdout.write(report.to_csv())
        else:
            console.print(render.compliance_table(report))


@report_app.command("check")
def report_check(
    file: Annotated[Path, typer.Argument(help="A saved report (report compliance --receipts FILE, or its --json).")],
    log_key: Annotated[Optional[str], typer.Option("--log-key", help="The server's log key you trust (base64); default: the one in the file.")] = None,
    as_json: Json = False,
) -> None:
    """Verify a saved compliance report with no server: its signed head, each receipt's inclusion proof,
    that each receipt records what its figure counts, and that each such figure equals its receipts.
    Exit codes: 0 it holds, 3 it does not (each problem named), 2 bad input."""
    check_report_file(file, log_key, as_json)


def check_report_file(file: Path, log_key: str | None, as_json: bool) -> None:
    """`report check`, and `audit check` given a report."""
    from ..rules.compliance import ComplianceReport
    from ..rules.compliance_check import check_report

    with guarded(as_json):
        try:
            report = ComplianceReport.model_validate_json(Path(file).read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read the report: {exc}", field="file") from None
        problems = check_report(report, log_key)
        receipts = sum(len(p.citations) for p in report.parties)
        if as_json:
            emit({"ok": not problems, "receipts": receipts, "head_size": report.log_head.size if report.log_head else None, "problems": problems})
        elif problems:
            stderr.print(f"[bold red]NOT PROVEN[/]: {len(problems)} problem(s) in the report on {report.agreement_id}:")
            for problem in problems:
                stderr.print(f"  {problem}", highlight=False, markup=False)
        else:
            head = report.log_head
            trust = "the log key you gave" if log_key else "the log key in the file (compare it with the one you trust)"
            console.print(f"[green]PROVEN[/]: {receipts} receipts back the figures of the report on {report.agreement_id}, "
                          f"each in the log of {head.size} entries signed at {head.timestamp:%Y-%m-%d %H:%M:%S} UTC by {trust}.")
        if problems:
            raise typer.Exit(code=ALARM_EXIT)
