"""The HTTP API under /v1: a thin layer over the `Deconfliction` facade.

Routes authenticate, authorize, convert wire shapes, call `system.*` and map errors to RFC 9457
problems; every rule lives in the services. `create_app(system, settings)` builds the ASGI app.
"""

from .app import create_app
from .settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
