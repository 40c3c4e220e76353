"""ASGI middleware: the request size limit, last-resort error problems, and waking event streams after writes."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from starlette.responses import JSONResponse

from ..errors import InvalidInput
from . import bodies
from .buffering import TooLarge, read_whole
from .problems import from_error, problem

log = logging.getLogger(__name__)

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class Guard:
    """Bodies over `max_body_bytes` get a 413 problem before any route sees them (by Content-Length, or
    while reading a chunked body); an exception no handler took becomes a 500 (or 503 for a busy store)
    problem instead of a bare error page; after each write request, `after_write()` wakes the streams."""

    def __init__(self, app: Any, max_body_bytes: int, after_write: Callable[[], None] | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.after_write = after_write

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        if method in BODY_METHODS:
            try:
                receive, body = await self._buffered(scope, receive)
            except TooLarge:
                await problem("payload_too_large", f"the request body exceeds {self.max_body_bytes} bytes")(scope, receive, send)
                return
            if body:
                scope, refusal = _json_only(scope)
                if refusal is None:
                    refusal = _hostile_json(body, scope.get("path", ""))  # not UTF-8, too deep, duplicate keys (bodies.py)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # noqa: BLE001 - last resort: a problem document, never a stack trace
            if started:
                raise
            log.exception("unexpected error on %s %s", method, scope.get("path"))
            response = problem("internal", "an unexpected error; it has been logged")
            await response(scope, receive, send)
        finally:
            if method not in READ_METHODS and self.after_write is not None:
                self.after_write()

    async def _buffered(self, scope: dict, receive: Callable[[], Awaitable[dict]]) -> tuple[Callable[[], Awaitable[dict]], bytes]:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.max_body_bytes:
                        raise TooLarge
                except ValueError:
                    pass
        body, replay = await read_whole(receive, self.max_body_bytes)
        return replay, body


def _hostile_json(body: bytes, path: str) -> Any:
    """A problem for a body no client sends by mistake; a merely malformed one is left to the route
    (each interface words its own 400: problem+json under /v1, F3548's ErrorResponse under /dss)."""
    try:
        bodies.parse(body)
    except bodies.HostileDocument as exc:
        if path.startswith("/dss/"):
            return JSONResponse({"message": f"{exc.field}: {exc.message}"}, status_code=400)
        return from_error(exc)
    except InvalidInput:
        return None
    return None


def _json_only(scope: dict) -> tuple[dict, Any]:
    """Bodies are JSON: a body without a Content-Type is read as JSON; any other type is a 415 problem."""
    headers = list(scope.get("headers", []))
    content_type = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), None)
    if content_type is None:
        return {**scope, "headers": headers + [(b"content-type", b"application/json")]}, None
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return scope, None
    return scope, problem("unsupported_media_type", f"request bodies are JSON (Content-Type: application/json), not {media}", field="Content-Type")
