"""Handing a write's receipt to whoever serves the request, across threads.

A front end opens a collector around a request (`collecting()`); the system adds the receipt of each
write made for it. The collector is a list held in a context variable: worker threads run with a copy
of the context that still points at the same list, so what they add is seen by the front end.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from .log import Receipt

_collector: ContextVar[list[Receipt] | None] = ContextVar("receipts", default=None)


@contextmanager
def collecting() -> Iterator[list[Receipt]]:
    receipts: list[Receipt] = []
    token = _collector.set(receipts)
    try:
        yield receipts
    finally:
        _collector.reset(token)


def deliver(receipt: Receipt) -> None:
    receipts = _collector.get()
    if receipts is not None:
        receipts.append(receipt)
