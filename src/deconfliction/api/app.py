"""The ASGI application: `create_app(system, settings)`, or `app_from_env()` for worker processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from .. import __version__
from ..service import Deconfliction, connect
from . import docs, logs, problems
from .auth import JwtVerifier
from .idempotency import IdempotencyKeys
from .middleware import Guard
from .routes import ROUTERS
from .routes.events import Waker
from .settings import ApiSettings
from .. import web

if TYPE_CHECKING:
    from ..workers.tactical import TacticalService

DESCRIPTION = """Advance notice of air operations between parties that share airspace but not plans:
file exact 4-D notices, learn at once what they conflict with, acknowledge, and keep a tamper-evident record.

Authenticate with `Authorization: Bearer <token>` (a party API token `dcf_…`, or an RS256 JWT from the
configured issuer). Errors are RFC 9457 `application/problem+json` with a stable `code` and the `field` at fault.
Lists answer `{"items": [...], "next": cursor|null}`; pass `next` back as `after`."""


def create_app(system: Deconfliction, settings: ApiSettings | None = None, *, tactical: TacticalService | None = None) -> FastAPI:
    """The app over `system`; `tactical` serves /v1/tracks and /v1/alerts (without it they answer 503)."""
    settings = settings or ApiSettings()
    app = FastAPI(
        title="deconfliction",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served from package files under the console's CSP: api/docs.py
        redoc_url=None,
    )
    app.state.system = system
    app.state.settings = settings
    app.state.waker = Waker()
    app.state.tactical = tactical
    keys = [path.read_text() for path in settings.jwt_key_files]
    app.state.jwt = JwtVerifier(keys, settings.jwt_audiences, settings.jwt_issuer) if keys else None
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    web.install(app)  # the web console at / (static files; its data comes from /v1 with the user's token)
    docs.install(app)  # Swagger UI at /docs, from package files
    logs.install()  # ?token= never reaches the server's logs
    if settings.f3548_agreement:  # the ASTM F3548-21 DSS interface at /dss/v1 (docs/f3548.md)
        from .f3548.routes import mount

        mount(app, system, settings)
    app.add_middleware(IdempotencyKeys)  # inside Guard: sees bodies Guard accepted (api/idempotency.py)
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes, after_write=app.state.waker.notify)
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory deconfliction.api.app:app_from_env` (each worker of `serve --workers N`)."""
    settings = ApiSettings.from_env()
    return create_app(connect(settings.database), settings)
