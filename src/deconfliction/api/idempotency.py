"""The `Idempotency-Key` header on writes (POST, PUT, PATCH, DELETE): a retry is applied once.

The key, with a hash of the request (method, path, query, body), is opened for the request
(rules/idempotency.py); the facade reserves it, with the write's result, in the transaction of the
request's first write; once the reply is sent, it is recorded under the key, and the same request with
the same key gets that reply again (with `Idempotent-Replayed: true`). If the server died between the
commit and recording the reply, the retry runs the route again, whose write returns the kept result
without writing: the same reply, rendered again (also marked `Idempotent-Replayed: true`). The same key with another request: 422
`idempotency_key_reused`. Requests that wrote nothing (refused, invalid) leave no key behind.
"""

from __future__ import annotations

import hashlib
from typing import Any, Awaitable, Callable

from anyio import to_thread
from starlette.responses import Response

from ..errors import IdempotencyInProgress, IdempotencyKeyReused
from ..rules import idempotency
from .buffering import read_whole
from .problems import from_error, problem

HEADER = b"idempotency-key"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REPLAYED = "Idempotent-Replayed"
SKIPPED_HEADERS = {b"content-length", b"date", b"server"}


class IdempotencyKeys:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope.get("method") not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        key = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == HEADER), None)
        if key is None:
            await self.app(scope, receive, send)
            return
        why = idempotency.validate_key(key)
        if why is not None:
            await problem("invalid_input", f"Idempotency-Key {why}", field="Idempotency-Key")(scope, receive, send)
            return
        outer = scope["app"]  # this app's (a mounted app, /dss/v1, puts itself in the scope on the way in)
        body, receive = await read_whole(receive)
        digest = hashlib.sha256()
        for part in (scope["method"], scope.get("path", ""), scope.get("query_string", b"").decode("latin-1")):
            digest.update(part.encode() + b"\0")
        digest.update(body)
        pending, token = idempotency.begin(key, digest.hexdigest())
        status, headers, chunks = 0, [], []

        async def capturing_send(message: dict) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                if pending.replayed:  # answered from the kept result of an earlier request
                    message = {**message, "headers": [*message.get("headers", []), (REPLAYED.lower().encode(), b"true")]}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capturing_send)
        except idempotency.Replay as replay:
            await _replayed(replay.record)(scope, receive, send)
            return
        except (IdempotencyInProgress, IdempotencyKeyReused) as error:  # raised outside a route's handlers
            await from_error(error)(scope, receive, send)
            return
        finally:
            idempotency.end(token)
        if pending.committed and status:
            kept = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers if k.lower() not in SKIPPED_HEADERS]
            store = outer.state.system.store
            # After the reply went out: a failure here only costs a later retry a 409 in_progress.
            await to_thread.run_sync(idempotency.record_reply, store, pending, status, kept, b"".join(chunks).decode("utf-8", "replace"))


def _replayed(record) -> Response:
    reply = record.reply or {}
    headers = {k: v for k, v in reply.get("headers", []) if k.lower() != "content-type"}
    headers[REPLAYED] = "true"
    media = next((v for k, v in reply.get("headers", []) if k.lower() == "content-type"), "application/json")
    return Response(reply.get("body", "").encode(), status_code=record.status, headers=headers, media_type=media)
