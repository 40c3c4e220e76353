"""Table or --json: the one way every command answers, and how refusals are shown (exit code 2)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Callable

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import DeconflictionError
from .session import State

console = Console()
stderr = Console(stderr=True)


def json_anywhere(value: bool) -> bool:
    # `deconfliction --json notice list` and `deconfliction notice list --json` mean the same.
    return value or State.json


Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.", callback=json_anywhere)]


def emit(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


def show(as_json: bool, data: Callable[[], Any], table: Callable[[], Any]) -> None:
    """Print `data()` as JSON for machines, or `table()` (anything rich prints) for people."""
    if as_json:
        emit(data())
    else:
        console.print(table())


def fail(exc: DeconflictionError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": exc.to_dict()}, default=str))
    else:
        stderr.print(f"[bold red]refused[/] {escape(f'[{exc.code}]')} {escape(str(exc))}")
        missing = exc.details.get("missing") or exc.details.get("conflicting")
        if missing:
            for n in missing:
                stderr.print(f"  notice {n['id']} by {n['party_id']} ({n['state']}), version [bold]{n['version']}[/]")
            if exc.code == "missing_key":
                keys = " ".join(f"--key {n['version']}" for n in missing)
                stderr.print(f"Review them (deconfliction notice show ID --as …), then file again with: {keys}")
    raise typer.Exit(code=2 if exc.status < 500 else 1)


def guarded(as_json: bool):
    """Run a command body, turning refusals into a clear message and exit code 2."""

    class Guard:
        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            if isinstance(exc, DeconflictionError):
                fail(exc, as_json)
            return False

    return Guard()
