"""Every error the system raises has a stable code, and every code maps to one HTTP status.

Services raise these; the API layer turns them into RFC 9457 problem documents and the CLI
prints them. Nothing else decides what an error is called.
"""

from __future__ import annotations

from typing import Any

class DeconflictionError(Exception):
    """Base of all errors with a code. `field` names the offending input, when there is one. Each
    subclass carries its stable `code`, the HTTP `status` it answers with and the problem's `title`."""

    code = "invalid_input"
    status = 400
    title = "Invalid input"
    retry_after_s: int | None = None  # when the caller may simply try again (HTTP Retry-After)

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        if code is not None:  # an error of another class's code (as read back from a problem document)
            self.code = code
            known = ERRORS.get(code)
            self.status, self.title = (known.status, known.title) if known else (500, code)
        self.message = message
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.details)
        return body

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(DeconflictionError):
    code, status, title = "invalid_input", 400, "Invalid input"


class Unauthenticated(DeconflictionError):
    code, status, title = "unauthenticated", 401, "Authentication required"


class Forbidden(DeconflictionError):
    code, status, title = "forbidden", 403, "Not allowed"


class NotFound(DeconflictionError):
    code, status, title = "not_found", 404, "Not found"


class MissingKey(DeconflictionError):
    """Invariant 1: the caller did not present the current version of every conflicting notice.
    `details['missing']` lists those notices in minimised form."""

    code, status, title = "missing_key", 409, "Conflicting notices missing from the key"


class VersionMismatch(DeconflictionError):
    """The caller changed something from an outdated version of it."""

    code, status, title = "version_mismatch", 409, "Outdated version"


class ConflictRefused(DeconflictionError):
    """The agreement's conflict policy is `reject`."""

    code, status, title = "conflict_refused", 409, "Conflict refused by the agreement"


class InvalidState(DeconflictionError):
    """E.g. changing a cancelled notice, acknowledging a cleared conflict."""

    code, status, title = "invalid_state", 409, "Invalid state"


class TooLate(DeconflictionError):
    """Lead time shorter than the agreement requires."""

    code, status, title = "too_late", 422, "Not enough notice"


class BeyondHorizon(DeconflictionError):
    """Ends past the agreement's planning horizon."""

    code, status, title = "beyond_horizon", 422, "Beyond the planning horizon"


class UssDown(DeconflictionError):
    """F3548: a USS marked Down may not create, activate or delete operational intents."""

    code, status, title = "uss_down", 412, "USS marked Down"


class PayloadTooLarge(DeconflictionError):
    code, status, title = "payload_too_large", 413, "Request too large"


class MethodNotAllowed(DeconflictionError):
    """HTTP only: no such method on that path."""

    code, status, title = "method_not_allowed", 405, "Method not allowed"


class UnsupportedMediaType(DeconflictionError):
    """HTTP only: a body that is not JSON."""

    code, status, title = "unsupported_media_type", 415, "Unsupported media type"


class Internal(DeconflictionError):
    """A bug: never raised on purpose."""

    code, status, title = "internal", 500, "Internal error"


class Unavailable(DeconflictionError):
    code, status, title = "unavailable", 503, "Unavailable"


class StoreBusy(Unavailable):
    """The store could not take the transaction now (locked, or aborted for concurrent ones after
    every retry); nothing was written, and trying again later is right."""

    retry_after_s = 1

    def __init__(self, message: str = "the store is busy; try again", **kwargs: Any):
        super().__init__(message, **kwargs)


class DatabaseLost(Unavailable):
    """The database went away (killed, or failing over) and did not come back within the store's
    failover budget, or went away at COMMIT, so that nobody knows whether the write was applied: send
    the request again — a write with the same Idempotency-Key, which makes that safe."""

    retry_after_s = 1

    def __init__(self, message: str = "the database is unreachable (failing over?); send the request again "
                 "(a write: with the same Idempotency-Key)", **kwargs: Any):
        super().__init__(message, **kwargs)


class IdempotencyInProgress(DeconflictionError):
    """A request with this Idempotency-Key was applied and its reply is not recorded yet."""

    code, status, title = "idempotency_in_progress", 409, "Idempotent request in progress"
    retry_after_s = 1


class IdempotencyKeyReused(DeconflictionError):
    """The same Idempotency-Key with a different request (method, path, query or body)."""

    code, status, title = "idempotency_key_reused", 422, "Idempotency key reused"


def _by_code() -> dict[str, type[DeconflictionError]]:
    found: dict[str, type[DeconflictionError]] = {}
    for value in list(globals().values()):  # in order of definition: a code's first class is its own
        if isinstance(value, type) and issubclass(value, DeconflictionError) and value is not DeconflictionError:
            found.setdefault(value.code, value)
    return found


# Every other table of codes derives from the classes above.
ERRORS: dict[str, type[DeconflictionError]] = _by_code()
STATUS_BY_CODE: dict[str, int] = {code: cls.status for code, cls in ERRORS.items()}
TITLES: dict[str, str] = {code: cls.title for code, cls in ERRORS.items()}
