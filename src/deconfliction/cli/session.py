"""Who acts on which store: the global options (--db, --server, --token, --json) and the system they
name. The library is imported only when a command runs, so `deconfliction --help` stays fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import InvalidInput
from . import arguments

if TYPE_CHECKING:
    from ..facade import Facade as System
    from ..geometry import Volume4D
    from ..service import Deconfliction


class State:
    database: str = "deconfliction.db"
    server: str | None = None
    token: str | None = None
    json: bool = False


AsParty = Annotated[Optional[str], typer.Option("--as", help="The party you act as (with --server: the token's).", envvar="DECONFLICTION_PARTY")]
AgreementId = Annotated[Optional[str], typer.Option("--agreement", "-a", help="Agreement id (default: your only one).")]
Keys = Annotated[Optional[list[str]], typer.Option("--key", "-k", help="Current version of a conflicting notice you have reviewed (repeat).")]


def connected() -> System:
    """The local store, or with --server the same facade over the HTTP API."""
    if State.server:
        if not State.token:
            raise InvalidInput("--server needs --token (or DECONFLICTION_TOKEN)", field="--token")
        from ..client import RemoteDeconfliction

        return RemoteDeconfliction(State.server, State.token)
    return local()


def local(create: bool = False) -> Deconfliction:
    """The store itself (not through --server); only `init` may create it."""
    if State.server:
        raise InvalidInput("this command works on a store, not through --server", field="--server")
    from ..service import connect

    return connect(State.database if create else arguments.existing_store(State.database))


def acting(party: str | None) -> tuple[System, str]:
    """The system and who acts: --as, or with --server the token's party."""
    system = connected()
    if party is None:
        party = token_party(system)
    if party is None:
        raise InvalidInput("say which party you act as: --as PARTY (or DECONFLICTION_PARTY)", field="--as")
    if not State.server:  # through a server, the token says who acts
        arguments.party_known(system, party)
    return system, party


def token_party(system: System) -> str | None:
    """With --server, the party the token acts for (None: the operator's token, or a local store)."""
    from ..client import RemoteDeconfliction

    return system.identity.party_id if isinstance(system, RemoteDeconfliction) else None


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="file") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc}", field="file") from None


def volumes_in(path: Path, system: System) -> list[Volume4D]:
    """The volumes of a file (F3548 or GeoJSON; times may be relative to the system's now)."""
    from ..geometry import load_volumes

    return load_volumes(read_json(path), now=system.clock())


def agreement_of(system: System, party: str, agreement: str | None) -> str:
    if agreement:
        return agreement
    mine = system.agreements(party)
    if len(mine) != 1:
        raise InvalidInput(f"{party} is a member of {len(mine)} agreements; name one with --agreement", field="agreement")
    return mine[0].id


def altitude_display(system: System, agreement_id: str) -> str:
    """The agreement's altitude_display ('feet' or 'flight_level'): how people read its altitudes."""
    return system.agreement(agreement_id).altitude_display
