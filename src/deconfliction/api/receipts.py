"""ASGI middleware: the reply to a write carries its receipt in a header.

`Deconfliction-Receipt` is the receipt (transparency/log.py: leaf index, the entry, a signed tree
head, the inclusion proof) as base64url of its JSON: a header, so that every write route carries it
whatever its body, including problem documents of writes that did record something."""

from __future__ import annotations

import base64
from typing import Any, Awaitable, Callable

from ..transparency.receipts import collecting

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
        with collecting() as receipts:

            async def with_receipt(message: dict) -> None:
                if message["type"] == "http.response.start" and receipts:
                    headers = list(message.get("headers", []))
                    headers.append((HEADER, encode(receipts[0].model_dump_json())))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, with_receipt)
