"""`deconfliction cluster up|down|status`: a local primary + synchronous standby with automatic failover."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .app import app

DEFAULT_DATABASE = "airspace"  # as store/cluster.py (imported inside the commands: --help stays fast)

cluster_app = typer.Typer(
    help="A local PostgreSQL cluster with automatic failover (pg_auto_failover): a monitor, a primary and a synchronous standby.",
    no_args_is_help=True,
)
app.add_typer(cluster_app, name="cluster")

DirOption = Annotated[Path, typer.Option("--dir", help="Where the cluster's data and logs live.")]


def _fail(exc: Exception) -> None:
    typer.echo(f"refused [unavailable] {exc}", err=True)
    raise typer.Exit(code=1)


@cluster_app.command("up")
def up(
    directory: DirOption = Path("deconfliction-cluster"),
    database: Annotated[str, typer.Option(help="The database the instances use.")] = DEFAULT_DATABASE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Start the cluster (created on first use; loopback, free ports) and print the URL instances connect with."""
    from ..cluster import ClusterError, LocalCluster

    try:
        cluster = LocalCluster(directory, database=database)
        url = cluster.up()
        nodes = cluster.nodes_state()
    except ClusterError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps({"url": url, "nodes": nodes, "directory": str(cluster.directory)}))
        return
    for node in nodes:
        typer.echo(f"  {node['name']}  127.0.0.1:{node['port']}  {node['reported']}")
    typer.echo("Instances connect with (libpq keeps the node that accepts writes):")
    typer.echo(url)
    typer.echo(f"e.g. deconfliction --db '{url}' init && deconfliction serve --database '{url}' --require-standby --port 8001")


@cluster_app.command("status")
def status(directory: DirOption = Path("deconfliction-cluster"), as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each node's state as the monitor sees it."""
    from ..cluster import ClusterError, LocalCluster

    try:
        cluster = LocalCluster(directory)
        if cluster.state is None:
            raise ClusterError(f"no cluster in {cluster.directory}: deconfliction cluster up --dir {directory}")
        nodes = cluster.nodes_state()
    except ClusterError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - the monitor is down
        _fail(ClusterError(f"the monitor does not answer ({exc}); deconfliction cluster up --dir {directory}"))
    if as_json:
        print(json.dumps({"url": cluster.state.url, "nodes": nodes}))
        return
    for node in nodes:
        typer.echo(f"  {node['name']}  127.0.0.1:{node['port']}  reported {node['reported']}, assigned {node['assigned']}")
    typer.echo(cluster.state.url)


@cluster_app.command("down")
def down(
    directory: DirOption = Path("deconfliction-cluster"),
    destroy: Annotated[bool, typer.Option("--destroy", help="Also delete the data.")] = False,
) -> None:
    """Stop the monitor and both nodes (the data stays for the next `up`, unless --destroy)."""
    from ..cluster import ClusterError, LocalCluster

    try:
        cluster = LocalCluster(directory)
    except ClusterError as exc:
        _fail(exc)
    cluster.destroy() if destroy else cluster.down()
    typer.echo(f"cluster in {cluster.directory} {'destroyed' if destroy else 'stopped'}")

