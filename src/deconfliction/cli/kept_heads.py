"""A head a party kept, against the log now: `audit verify --head FILE` (on the store, an export, or
with --server the server's log), and reading a kept head from a file. Shared by cli/audit.py and
cli/evidence.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import InvalidInput
from .output import console, emit, stderr
from .session import State, local

if TYPE_CHECKING:
    from ..transparency.heads import TreeHead
    from ..transparency.offline import HeadVerdict

ALARM_EXIT = 3  # the log does not extend a head a party kept: not a refusal (2) nor a failure (1)


def read_head(path: Path, field: str = "head") -> TreeHead:
    from ..transparency.heads import TreeHead

    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the head: {exc}", field=field) from None
    try:
        return TreeHead.model_validate(data.get("head", data) if isinstance(data, dict) else data)
    except ValueError as exc:
        raise InvalidInput(f"not a signed tree head: {exc}", field=field) from None


def write_json(data: object, out: Path | None) -> None:
    text = json.dumps(data, indent=1, default=str) + "\n"
    if out:
        Path(out).write_text(text)
    else:
        typer.echo(text, nl=False)


def verify_with_head(head_file: Path, export: Path | None, as_json: bool) -> None:
    """`audit verify --head FILE [--file EXPORT]`: does the store (or an export, or with --server the
    server's log) still extend the head a party kept?"""
    from ..rules import audit
    from ..transparency.offline import verify_against_head

    head = read_head(head_file)
    if State.server and export is None:
        _verify_server_against_head(head, as_json)
        return
    try:
        if export:
            verdict = verify_against_head(audit.read_export(export), head)
        else:
            system = local()
            with system.store.transaction(write=False) as tx:
                verdict = verify_against_head(audit.read_all(tx), head)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the log: {exc}", field="file") from None
    _report(verdict, as_json)


def _report(verdict: HeadVerdict, as_json: bool) -> None:
    from rich.markup import escape

    if as_json:
        emit({"ok": verdict.ok, "entries": verdict.entries, "head_size": verdict.head_size, "kind": verdict.kind, "reason": verdict.reason})
    elif verdict.ok:
        console.print(f"[green]OK[/]: the log ({verdict.entries} entries) extends the head you kept (size {verdict.head_size}).")
    else:
        stderr.print(f"[bold red]ALARM[/] {escape(f'[{verdict.kind}]')} {escape(verdict.reason or '')}")
    if not verdict.ok:
        raise typer.Exit(code=ALARM_EXIT)


def _verify_server_against_head(head: TreeHead, as_json: bool) -> None:
    from ..client import Client
    from ..transparency.heads import HeadError, TreeHead, verify_head
    from ..transparency.offline import HeadVerdict
    from ..transparency.witness import LogAlarm, check_extends

    with Client(State.server, State.token or "", witness=False) as client:
        current = TreeHead.model_validate(client._get("/v1/log/head"))
        try:
            verify_head(head)
            verify_head(current, head.public_key)
            check_extends(head, current, client.log.consistency)
        except (HeadError, LogAlarm) as exc:
            kind = getattr(exc, "kind", "bad_signature")
            _report(HeadVerdict(False, current.size, head.size, str(getattr(exc, "message", exc)), kind), as_json)
            return
    _report(HeadVerdict(True, current.size, head.size), as_json)
