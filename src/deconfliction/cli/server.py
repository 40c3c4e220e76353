"""`deconfliction serve` and `deconfliction token …`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import DeconflictionError, InvalidInput
from .app import app
from .output import Json, console, stderr
from .session import State

if TYPE_CHECKING:
    from ..api.settings import ApiSettings
    from ..service import Deconfliction

token_app = typer.Typer(help="API tokens in the local store (operator): issue, revoke, list.", no_args_is_help=True)
app.add_typer(token_app, name="token")

DatabaseOption = Annotated[
    Optional[str], typer.Option("--database", help="Store: a SQLite path or postgresql://… (default: the global --db).")
]


def _database(database: str | None) -> str:
    return database or State.database


def _connect(database: str | None) -> Deconfliction:
    from ..service import connect

    return connect(_database(database))


def _fail(exc: DeconflictionError) -> None:
    stderr.print(f"[bold red]refused[/] [{exc.code}] {exc}")
    raise typer.Exit(code=2 if exc.status < 500 else 1)


def _has_admin_token(system: Deconfliction) -> bool:
    return any(c.party_id is None and c.revoked_at is None for c in system.tokens())


def _allow_webhooks_to(networks: list[str]) -> None:
    """The operator's private webhook receivers, for this process and the workers it starts (workers/egress.py)."""
    from ..workers.egress import ENV_ALLOW, EgressPolicy

    try:
        EgressPolicy.parse(networks)
    except DeconflictionError as exc:
        _fail(exc)
    os.environ[ENV_ALLOW] = ",".join(networks)


def _with_f3548(settings: ApiSettings, url: str, agreement_id: str | None) -> ApiSettings:
    """The F3548 interface's settings: a JWT key and audience (USSs authenticate only so), and the
    agreement its intents go under: the store's only one, the one named, or on a store without
    agreements the built-in `utm` (see docs/f3548.md)."""
    from dataclasses import replace

    from ..f3548.default_agreement import choose_agreement

    if settings.jwt_public_key_file is None:
        _fail(InvalidInput("--f3548 needs --jwt-public-key and --jwt-audience (USSs authenticate with RS256 JWTs)", field="jwt_public_key"))
    try:
        agreement_id, created = choose_agreement(_connect(url), agreement_id)
    except DeconflictionError as exc:
        _fail(exc)
    if created:
        print(f"Created the built-in agreement {agreement_id} (F3548 semantics: conflicts are intersections; no lead time; 30-day horizon)", flush=True)
    print(f"F3548 DSS interface on /dss/v1: USSs' operational intents go under agreement {agreement_id}", flush=True)
    return replace(settings, f3548_agreement=agreement_id)


@app.command("serve")
def serve(
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (over one store; PostgreSQL for real concurrency).")] = 1,
    jwt_public_key: Annotated[Optional[list[Path]], typer.Option(help="PEM public key of an external issuer of RS256 JWTs (repeat for several).")] = None,
    jwt_audience: Annotated[Optional[list[str]], typer.Option(help="An `aud` those JWTs may carry (required with --jwt-public-key; repeat for several).")] = None,
    jwt_issuer: Annotated[Optional[str], typer.Option(help="The `iss` those JWTs must carry (optional).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    f3548: Annotated[bool, typer.Option("--f3548", help="Also serve the ASTM F3548-21 DSS interface at /dss/v1 (needs --jwt-public-key and --jwt-audience).")] = False,
    f3548_agreement: Annotated[Optional[str], typer.Option(help="The agreement USSs' operational intents go under (default: the store's only agreement; on a store without any, the built-in utm).")] = None,
    webhook_allow: Annotated[Optional[list[str]], typer.Option(help="A private network webhooks may go to, e.g. 10.1.2.0/24 (repeat for several; default: public addresses only; docs/security.md).")] = None,
    advertise: Annotated[Optional[str], typer.Option(help="In a pool: the base URL the other instances reach this one at (default http://HOST:PORT).")] = None,
    require_standby: Annotated[bool, typer.Option("--require-standby", help="PostgreSQL with a standby: answer a write, or show a signed head, only once a synchronous standby has it (docs/deployment.md).")] = False,
) -> None:
    """Run the HTTP API (/v1, OpenAPI at /openapi.json) with its background scheduler."""
    from ..api.listening import serve_workers
    from ..api.settings import ApiSettings
    from ..api.shutdown import GRACE_S, serve_until_signalled
    from ..runtime import Runtime
    from ..web import console_url

    url = _database(database)
    if require_standby:  # read by the PostgreSQL store, here and in every worker this process starts
        os.environ["DECONFLICTION_REQUIRE_STANDBY"] = "1"
    keys, audiences = list(jwt_public_key or []), list(jwt_audience or [])
    if keys and not audiences:
        _fail(InvalidInput("give --jwt-audience with --jwt-public-key", field="jwt_audience"))
    for key in keys:
        if not key.is_file():
            _fail(InvalidInput(f"no such file: {key}", field="jwt_public_key"))
    settings = ApiSettings(
        jwt_public_key_file=keys[0] if keys else None, more_jwt_public_key_files=tuple(keys[1:]),
        jwt_audience=audiences[0] if audiences else None, more_jwt_audiences=tuple(audiences[1:]),
        jwt_issuer=jwt_issuer, database=url,
    )
    if f3548 or f3548_agreement:
        settings = _with_f3548(settings, url, f3548_agreement)
    if webhook_allow:
        _allow_webhooks_to(webhook_allow)
    try:
        system = _connect(url)
        # In a pool (PostgreSQL), the scheduler and the tactical loop run on the leader only (runtime.py).
        runtime = Runtime(system, settings, tactical=workers == 1, advertise=(advertise or f"http://{host}:{port}").rstrip("/"))
    except DeconflictionError as exc:
        _fail(exc)
    if not _has_admin_token(system):
        print(
            "No operator token yet. Create one (shown once) with:\n"
            f"  deconfliction --db {url} token issue --admin\n"
            "then manage agreements, parties and tokens over the API with it (see docs/api.md).",
            flush=True,
        )
    print(f"deconfliction API on http://{host}:{port}/v1 (OpenAPI: /openapi.json), store {url}, {workers} worker(s)", flush=True)
    print(f"Web console: {console_url(f'http://{host}:{port}')} (sign in with a party token: deconfliction token issue --party P)", flush=True)
    try:
        with runtime:
            if workers > 1:
                # Each worker builds its own app from the environment; the scheduler runs once, here.
                console.print("The tactical monitor runs with one worker only: /v1/tracks and /v1/alerts answer 503.")
                os.environ.update(settings.to_env())
                serve_workers("deconfliction.api.app:app_from_env", host=host, port=port, workers=workers, log_level=log_level,
                              timeout_graceful_shutdown=GRACE_S)
            else:
                serve_until_signalled(runtime.app, host=host, port=port, log_level=log_level)
    finally:
        system.close()


@token_app.command("issue")
def token_issue(
    party: Annotated[Optional[str], typer.Option("--party", help="The party the token acts for.")] = None,
    scope: Annotated[Optional[list[str]], typer.Option("--scope", help="A scope (repeat); default: notices:write notices:read hotline.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="An operator token (no party, scope admin).")] = False,
    label: Annotated[str, typer.Option(help="A note to recognise the token by.")] = "",
    database: DatabaseOption = None,
    as_json: Json = False,
) -> None:
    """Issue a token; it is printed this once and never stored (only its hash is)."""
    if admin == (party is not None):
        _fail(InvalidInput("give exactly one of --party P and --admin", field="party"))
    try:
        credential, token = _connect(database).issue_token(None if admin else party, ["admin"] if admin else scope, label=label, actor="cli")
    except DeconflictionError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps({"token": token, "credential": credential.model_dump(mode="json", exclude={"token_hash"})}))
        return
    who = "operator (admin)" if admin else f"party {party}"
    console.print(f"Token [bold]{credential.id}[/] for {who}, scopes {' '.join(credential.scopes)}. It is shown this once:")
    print(token)


@token_app.command("revoke")
def token_revoke(credential_id: str, database: DatabaseOption = None) -> None:
    """Revoke a token by its id (tok_…); effective at once."""
    try:
        credential = _connect(database).revoke_token(credential_id, actor="cli")
    except DeconflictionError as exc:
        _fail(exc)
    console.print(f"Revoked {credential.id} ({credential.party_id or 'admin'}).")


@token_app.command("list")
def token_list(
    party: Annotated[Optional[str], typer.Option("--party", help="Only this party's tokens.")] = None,
    database: DatabaseOption = None,
    as_json: Json = False,
) -> None:
    """Tokens: ids, parties, scopes, when issued and revoked (never the tokens themselves)."""
    found = _connect(database).tokens(party)
    if as_json:
        print(json.dumps([c.model_dump(mode="json", exclude={"token_hash"}) for c in found]))
        return
    for c in found:
        state = f"revoked {c.revoked_at:%Y-%m-%d %H:%M}" if c.revoked_at else "active"
        console.print(f"{c.id}  {c.party_id or '(admin)':<16} {' '.join(c.scopes):<40} {state}  {c.label}")
