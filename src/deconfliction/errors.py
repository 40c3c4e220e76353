"""Every error the system raises has a stable code, and every code maps to one HTTP status.

Services raise these; the API layer turns them into RFC 9457 problem documents and the CLI
prints them. Nothing else decides what an error is called.
"""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE: dict[str, int] = {
    "invalid_input": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "missing_key": 409,  # awareness: the caller's key lacks current versions of conflicting notices
    "version_mismatch": 409,  # the caller changed a notice from an outdated version of it
    "conflict_refused": 409,  # the agreement's conflict policy is `reject`
    "invalid_state": 409,  # e.g. changing a cancelled notice
    "too_late": 422,  # lead time shorter than the agreement requires
    "beyond_horizon": 422,  # ends past the agreement's planning horizon
    "uss_down": 412,  # F3548: a USS marked Down may not create, activate or delete operational intents
    "payload_too_large": 413,
    "method_not_allowed": 405,  # HTTP only: no such method on that path
    "unsupported_media_type": 415,  # HTTP only: a body that is not JSON
    "internal": 500,  # a bug: never raised on purpose
    "unavailable": 503,
    "idempotency_in_progress": 409,  # the request with this Idempotency-Key was applied; its reply is not recorded yet
    "idempotency_key_reused": 422,  # the same Idempotency-Key with a different request
}


class DeconflictionError(Exception):
    """Base of all errors with a code. `field` names the offending input, when there is one."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.field = field
        self.details = details or {}

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.details)
        return body

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class Unauthenticated(DeconflictionError):
    code = "unauthenticated"


class InvalidInput(DeconflictionError):
    code = "invalid_input"


class NotFound(DeconflictionError):
    code = "not_found"


class Forbidden(DeconflictionError):
    code = "forbidden"


class MissingKey(DeconflictionError):
    """Invariant 1: the caller did not present the current version of every conflicting notice.
    `details['missing']` lists those notices in minimised form."""

    code = "missing_key"


class VersionMismatch(DeconflictionError):
    code = "version_mismatch"


class ConflictRefused(DeconflictionError):
    code = "conflict_refused"


class InvalidState(DeconflictionError):
    code = "invalid_state"


class TooLate(DeconflictionError):
    code = "too_late"


class BeyondHorizon(DeconflictionError):
    code = "beyond_horizon"


class PayloadTooLarge(DeconflictionError):
    code = "payload_too_large"


class UssDown(DeconflictionError):
    code = "uss_down"
