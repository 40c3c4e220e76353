"""RFC 9457 problem documents: every error leaves the API as `application/problem+json` with
`type`, `title`, `status`, `detail`, `code` (one of errors.ERRORS: each class carries its code, status and title) and `field` when an input
is at fault, plus the error's details (e.g. `missing` for a 409 missing_key)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import STATUS_BY_CODE, TITLES, DeconflictionError

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:deconfliction:problem:"

# Keys of a problem document that an error's details may not overwrite.
RESERVED = ("type", "title", "status", "detail", "code", "field", "instance")


def problem(code: str, detail: str, *, field: str | None = None, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    status = STATUS_BY_CODE[code]
    body: dict[str, Any] = {"type": TYPE_PREFIX + code, "title": TITLES.get(code, code), "status": status, "detail": detail, "code": code}
    if field:
        body["field"] = field
    for key, value in (details or {}).items():
        if key not in RESERVED:
            body[key] = value
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="deconfliction"', **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(error: DeconflictionError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else None
    return problem(error.code, error.message, field=error.field, details=error.details, headers=headers)


def _field(loc: tuple | list) -> str:
    """A pydantic location as the dotted path of the input: ('body', 'volumes', 0) → 'volumes.0'."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


def from_validation(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request", "type": "value_error"}
    field = _field(first.get("loc", ("body",)))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        field, message = "body", f"not valid JSON ({first.get('ctx', {}).get('error', message)})"
    elif first.get("type") == "extra_forbidden":
        message = "unknown field"
    listed = [
        {"field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())), "message": str(e.get("msg", "")).removeprefix("Value error, ")}
        for e in errors[:20]
    ]
    return problem("invalid_input", message, field=field, details={"errors": listed})


def install(app: FastAPI) -> None:
    @app.exception_handler(DeconflictionError)
    async def _domain(request: Request, exc: DeconflictionError) -> JSONResponse:
        return from_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return from_validation(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}.get(
            exc.status_code, "internal" if exc.status_code >= 500 else "invalid_input"
        )
        detail = exc.detail if isinstance(exc.detail, str) else TITLES[code]
        if code == "not_found" and detail == "Not Found":
            detail = f"no such resource: {request.url.path}"
        return problem(code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem("internal", "an unexpected error; it has been logged")


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(STATUS_BY_CODE)},
        "field": {"type": "string", "description": "the offending input, as a dotted path (volumes.0.time_end)"},
        "missing": {"type": "array", "items": {"type": "object"}, "description": "missing_key: the conflicting notices, minimised"},
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Invalid input (the field is named)", 401: "Missing, unknown or revoked token", 403: "Not allowed for this token",
    404: "Not found (or not visible to you)", 409: "Conflict: missing_key, version_mismatch, conflict_refused or invalid_state",
    413: "Request body too large", 422: "too_late or beyond_horizon",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems an operation may answer (401 and 403 always)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({400, 401, 403, *statuses}):
        out[status] = {"description": _DESCRIPTIONS.get(status, "Problem"), "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}}
    return out
