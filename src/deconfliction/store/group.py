"""Group commit, for both stores: concurrent write transactions of one process run one after another
in ONE database transaction, each under a savepoint (a refused one rolls back alone), and are made
durable by one COMMIT: one fsync (and, on PostgreSQL, one wait for the synchronous standby) for all.
Nobody gets an answer before the commit that holds their write.

The first writer to arrive leads: it takes the queue (up to `limit` jobs) and runs it with the store's
`run_group(batch)`; those who arrive meanwhile wait for the next group, which one of them leads.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class Job:
    """One writer's business function and, once its group has run, its result or error."""

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False

    def run(self, tx: Any) -> None:
        self.result, self.error = self.fn(tx, *self.args, **self.kwargs), None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class WriteQueue:
    def __init__(self, run_group: Callable[[list[Job]], None], limit: int = 64):
        self._run_group = run_group
        self.limit = limit
        self._condition = threading.Condition()
        self._queue: list[Job] = []
        self._leading = False

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(tx, *args, **kwargs)` in a write transaction shared with the writers waiting with it."""
        job = Job(fn, args, kwargs)
        with self._condition:
            self._queue.append(job)
            while not job.finished and self._leading:
                self._condition.wait()
            if job.finished:
                return job.outcome()
            self._leading = True
            batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
        try:
            self._run_group(batch)
        except BaseException as error:  # noqa: BLE001 - nothing of the group was committed: every writer hears it
            for each in batch:
                each.result, each.error = None, each.error or error
        finally:
            for each in batch:
                each.finished = True
            with self._condition:
                self._leading = False
                self._condition.notify_all()
        return job.outcome()
