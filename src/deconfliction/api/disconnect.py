"""Blocking work run for a request only while its client is still there: the work runs in the thread
pool, the request's connection is watched meanwhile, and once the client has gone the work is told to
stop (cancellation.py), so a long check does not keep a worker busy for nobody."""

from __future__ import annotations

import asyncio
import threading
from typing import Callable, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..rules.cancellation import cancelled_when

T = TypeVar("T")
WATCH_INTERVAL_S = 0.1


async def while_connected(request: Request, work: Callable[[], T]) -> T:
    gone = threading.Event()

    def run() -> T:
        with cancelled_when(gone.is_set):
            return work()

    task = asyncio.ensure_future(run_in_threadpool(run))
    while not task.done():
        await asyncio.wait({task}, timeout=WATCH_INTERVAL_S)
        if not task.done() and await request.is_disconnected():
            gone.set()
            break
    return await task
