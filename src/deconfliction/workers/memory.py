"""Short garbage-collector pauses in a long-running process.

A server holds hundreds of MB of long-lived objects: parsed notices (store/notice_cache.py), prepared
shapes (geometry/footprint.py), agreements. Python's cyclic collector traverses all of them in every
full collection, which it starts whenever the long-lived objects have grown by a quarter: while the
caches fill, a filing now and then waits 50–350 ms for it (bench/strategic.py, the few-conflict p99).

`settle` collects what is garbage now and then freezes the survivors (gc.freeze): the collector never
traverses them again, so its pauses are over the objects made since, which are few. Frozen objects
are still freed by reference counting when a cache drops them (the caches' entries hold no cycles),
so nothing leaks but cyclic garbage made of objects that were alive at a settle and died later; the
hourly `sweep` (everything back in sight, one full collection, frozen again) reclaims that, at the
cost of one full pause an hour instead of one whenever the heap grew by a quarter.
"""

from __future__ import annotations

import gc
import threading
import time

SETTLE_EVERY_S = 60.0
SWEEP_EVERY_S = 3600.0


def settle() -> None:
    """Collect the garbage there is, then keep every surviving object out of future collections."""
    gc.collect()
    gc.freeze()


def sweep() -> None:
    """Every frozen object back in the collector's sight, one full collection, the survivors frozen again."""
    gc.unfreeze()
    settle()


class Settler:
    """A daemon thread that settles every `every_s` and sweeps every `sweep_every_s` (a server runs one: runtime.py)."""

    def __init__(self, every_s: float = SETTLE_EVERY_S, sweep_every_s: float = SWEEP_EVERY_S):
        self.every_s = every_s
        self.sweep_every_s = sweep_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Settler":
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="deconfliction-gc", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _run(self) -> None:
        swept = time.monotonic()
        while not self._stop.wait(self.every_s):
            if time.monotonic() - swept >= self.sweep_every_s:
                sweep()
                swept = time.monotonic()
            else:
                settle()
