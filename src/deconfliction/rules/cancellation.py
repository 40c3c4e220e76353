"""Geometry work nobody is waiting for any more stops: a check whose client has gone, and any request's
work once the server is shutting down. The conflict search asks between candidates (a pair of notices
costs milliseconds), so a request stops within about one candidate's exact check."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

from ..errors import Cancelled

_stopping = threading.Event()
_gone: ContextVar[Callable[[], bool] | None] = ContextVar("client_gone", default=None)


def stop_all_work() -> None:
    """The process is shutting down: every running search stops at its next candidate."""
    _stopping.set()


def raise_if_cancelled() -> None:
    if _stopping.is_set():
        raise Cancelled("the server is shutting down; try again")
    gone = _gone.get()
    if gone is not None and gone():
        raise Cancelled("the client has gone")


@contextmanager
def cancelled_when(gone: Callable[[], bool]) -> Iterator[None]:
    """Within the block, searches in this thread stop once `gone()` is true."""
    token = _gone.set(gone)
    try:
        yield
    finally:
        _gone.reset(token)
