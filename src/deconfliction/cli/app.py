"""The root `deconfliction` command and its global options; each command group adds itself to `app`."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .session import State

app = typer.Typer(help="Advance notice, conflicts and acknowledgments between parties that share airspace.", no_args_is_help=True)


@app.callback()
def main_options(
    database: Annotated[str, typer.Option("--db", envvar="DECONFLICTION_DB", help="Store: a SQLite file, or postgresql://….")] = "deconfliction.db",
    server: Annotated[Optional[str], typer.Option("--server", envvar="DECONFLICTION_SERVER", help="Work through a server's API (http://…) instead of a store.")] = None,
    token: Annotated[Optional[str], typer.Option("--token", envvar="DECONFLICTION_TOKEN", help="API token for --server.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables (also accepted after the command).")] = False,
) -> None:
    State.database, State.server, State.token, State.json = database, server, token, as_json
