"""What time makes due, run in the background: overdue acknowledgments, escalations, line tests,
notices past their end, webhooks.

    scheduler = Scheduler(system, Dispatcher(system), interval_s=1.0)
    scheduler.start()      # a daemon thread: step() every interval
    ...
    scheduler.stop()       # prompt: wakes the thread, waits for the step in progress

`step()` is the unit of work and is what tests call, with the system's injectable clock moved by hand:
it runs `system.tick()` until nothing more is due (bounded), then one dispatcher pass. An exception
in a step is logged and counted, never fatal: the next step tries again. Everything a step does is in
the store, so several schedulers over one store are safe (the store serialises writers; a deadline
turns overdue once, and a hotline escalation happens once per interval, since each is decided and
moved on inside one write transaction).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .webhooks import DispatchReport, Dispatcher

if TYPE_CHECKING:
    from ..models import Deadline, HotlineMessage, Notice
    from ..service import Deconfliction

log = logging.getLogger(__name__)


@dataclass
class StepReport:
    overdue: list["Deadline"] = field(default_factory=list)
    ended: list["Notice"] = field(default_factory=list)
    line_tests: list["HotlineMessage"] = field(default_factory=list)
    dispatch: DispatchReport | None = None
    error: BaseException | None = None


class Scheduler:
    def __init__(
        self,
        system: "Deconfliction",
        dispatcher: Dispatcher | None = None,
        interval_s: float = 1.0,
        *,
        tick_limit: int = 100,
        max_tick_rounds: int = 20,
    ):
        self.system = system
        self.dispatcher = dispatcher
        self.interval_s = interval_s
        self.tick_limit = tick_limit
        self.max_tick_rounds = max_tick_rounds
        self.steps = 0
        self.errors = 0
        self.last_error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # The unit of work ---------------------------------------------------------------------------
    def step(self) -> StepReport:
        """One round: every due deadline and expiry (in batches of `tick_limit`), then one webhook pass.
        Never raises: a failure is logged, counted and returned in the report."""
        report = StepReport()
        try:
            for _ in range(self.max_tick_rounds):
                tick = self.system.tick(limit=self.tick_limit)
                report.overdue.extend(tick.overdue)
                report.ended.extend(tick.ended)
                report.line_tests.extend(tick.line_tests)
                if len(tick.overdue) < self.tick_limit and len(tick.ended) < self.tick_limit:
                    break
        except Exception as error:
            self._failed(report, error, "tick")
        if self.dispatcher is not None:
            try:
                report.dispatch = self.dispatcher.run_once()
            except Exception as error:
                self._failed(report, error, "webhook dispatch")
        self.steps += 1
        return report

    def _failed(self, report: StepReport, error: Exception, what: str) -> None:
        self.errors += 1
        self.last_error = report.error = error
        log.exception("scheduler: %s failed; trying again next step", what)

    # The thread -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Scheduler":
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="deconfliction-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop after the step in progress (if any); returns at once when idle."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("scheduler: a step is still running after %.1f s; leaving it to finish", timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.step()
            # Sleep what is left of the interval, but wake at once on stop().
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def __enter__(self) -> "Scheduler":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
