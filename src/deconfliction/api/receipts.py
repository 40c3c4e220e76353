"""ASGI middleware: the reply to a write carries its receipt in a header, and a write may carry its
party's signed statement in another.

`Deconfliction-Receipt` is the receipt (transparency/log.py: leaf index, the entry, a signed tree
head, the inclusion proof) as base64url of its JSON: a header, so that every write route carries it
whatever its body, including problem documents of writes that did record something.
`Deconfliction-Signature` (transparency/statements.py) is read here with the body it signs, and
checked by the write itself, in its transaction (rules/signing.py)."""

from __future__ import annotations

import base64
from typing import Any, Awaitable, Callable

from ..transparency.receipts import collecting
from .buffering import read_whole
from ..rules.signing import Pending, done_presenting, presenting
from ..transparency.statements import HEADER as SIGNATURE_HEADER, presented

HEADER = b"deconfliction-receipt"


def encode(receipt_json: str) -> bytes:
    return base64.urlsafe_b64encode(receipt_json.encode()).rstrip(b"=")


class ReceiptHeader:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        signature = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == SIGNATURE_HEADER.encode()), None)
        token = None
        if signature is not None:
            receive, pending = await _statement(scope, receive, signature)
            token = presenting(pending)
        try:
            with collecting() as receipts:

                async def with_receipt(message: dict) -> None:
                    if message["type"] == "http.response.start" and receipts:
                        headers = list(message.get("headers", []))
                        headers.append((HEADER, encode(receipts[0].model_dump_json())))
                        message = {**message, "headers": headers}
                    await send(message)

                await self.app(scope, receive, with_receipt)
        finally:
            if token is not None:
                done_presenting(token)


async def _statement(scope: dict, receive: Callable[[], Awaitable[dict]], header: str) -> tuple[Callable[[], Awaitable[dict]], Pending]:
    """Read the body (Guard has already bounded its size), pair it with the signature header, and hand
    the body on unchanged."""
    body, receive = await read_whole(receive)
    party = next((part.split("=", 1)[1].strip() for part in header.split(",") if part.strip().startswith("party=")), "")
    try:
        pending = Pending(presented(party, scope.get("method", ""), scope.get("path", ""), body, header))
    except ValueError as exc:
        pending = Pending(None, str(exc))
    return receive, pending
