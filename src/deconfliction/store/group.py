"""Group commit, for both stores: concurrent write transactions of one process run one after another
in ONE database transaction, each under a savepoint (a refused one rolls back alone), and are made
durable by one COMMIT: one fsync (and, on PostgreSQL, one wait for the synchronous standby) for all.
Nobody gets an answer before the commit that holds their write.

The first writer to arrive leads: it takes the store's write lock and runs the group with the store's
`run_group(group)`. The group takes its writers from the queue only once the lock is held, and keeps
taking those who arrive while it runs (up to `limit`): whoever waited for the lock, or for the writes
before theirs, shares the next COMMIT instead of queueing for one of their own. On PostgreSQL, where
the instances of a pool take turns on one lock, this is what lets a group of one instance carry
everything that arrived there while another instance held the lock.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, TypeVar

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


class Group:
    """The jobs of one transaction. Iterating runs through those already taken, then takes the ones
    queued meanwhile, until none is waiting or the group is full. A group that is run again (after a
    serialization failure) runs every job it took, in the same order, and may take more."""

    def __init__(self, queue: "WriteQueue"):
        self._queue = queue
        self.jobs: list[Job] = []

    def __iter__(self) -> Iterator[Job]:
        k = 0
        while k < len(self.jobs) or self._take():
            yield self.jobs[k]
            k += 1

    def _take(self) -> bool:
        return self._queue._take_into(self)


class WriteQueue:
    def __init__(self, run_group: Callable[[Group], None], limit: int = 64):
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
        while True:
            with self._condition:
                while not job.finished and self._leading:
                    self._condition.wait()
                if job.finished:
                    return job.outcome()
                self._leading = True
            group = Group(self)
            try:
                self._run_group(group)
            except BaseException as error:  # noqa: BLE001 - nothing of the group was committed: every writer hears it
                for each in group.jobs:
                    each.result, each.error = None, each.error or error
                if job not in group.jobs:  # failed before taking anyone: the leader hears it, the others lead in turn
                    with self._condition:
                        self._queue.remove(job)
                    job.error, job.finished = error, True
            finally:
                for each in group.jobs:
                    each.finished = True
                with self._condition:
                    self._leading = False
                    self._condition.notify_all()

    def _take_into(self, group: Group) -> bool:
        """Move queued jobs into `group` (up to the limit); False if none was taken."""
        with self._condition:
            room = self.limit - len(group.jobs)
            taken, self._queue = self._queue[: max(room, 0)], self._queue[max(room, 0) :]
        group.jobs.extend(taken)
        return bool(taken)
