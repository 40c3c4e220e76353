"""A running server: the API app, the scheduler (deadlines, escalations, expiry, webhooks) and the
tactical loop over one system, started and stopped together. `deconfliction serve` and
`deconfliction demo` both run through it.

    >>> with Runtime(system, ApiSettings(database="airspace.db")) as running:
    ...     uvicorn.run(running.app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .errors import InvalidInput

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .api.settings import ApiSettings
    from .service import Deconfliction
    from .workers.scheduler import Scheduler
    from .workers.tactical import TacticalLoop


class Runtime:
    """What one server process runs besides HTTP. `tactical=False` for a process that shares its store
    with other workers: the monitor's tracks live in memory, so only a single-worker server runs it."""

    def __init__(
        self, system: Deconfliction, settings: ApiSettings | None = None, *, tactical: bool = True, interval_s: float = 1.0,
        advertise: str | None = None,
    ):
        from .workers.leadership import Leadership

        self.system = system
        self.settings = settings
        self.interval_s = interval_s
        self.scheduler: Scheduler | None = None
        self.tactical: TacticalLoop | None = self._tactical_loop() if tactical else None
        self._app: FastAPI | None = None
        # Over PostgreSQL, several instances may share the store (a pool): the background work runs on
        # the one that holds the leader's lock (workers/leadership.py); `advertise` is this instance's
        # base URL, by which the others pass the tactical monitor's routes on to it. Over SQLite: always.
        self.advertise = advertise or "http://127.0.0.1"
        self.leadership = Leadership(getattr(system.store, "url", None), self._lead, self._step_down, interval_s=interval_s, name=self.advertise)
        self._forgetting: threading.Event | None = None
        from .workers.memory import Settler

        self.settler = Settler()  # short collector pauses while the caches fill (workers/memory.py)

    def _tactical_loop(self) -> TacticalLoop:
        """DECONFLICTION_TACTICAL_* tune the monitor; a bad value is refused before anything starts."""
        from .workers.tactical import TacticalConfig, TacticalLoop, TacticalService

        try:
            config = TacticalConfig.from_env()
        except ValueError as exc:
            raise InvalidInput(str(exc), field="environment") from None
        return TacticalLoop(TacticalService(self.system, config), interval_s=self.interval_s)

    @property
    def app(self) -> FastAPI:
        """The ASGI app over this system, with this runtime's tactical monitor (built once)."""
        if self._app is None:
            from .api.app import create_app

            self._app = create_app(self.system, self.settings, tactical=self.tactical.service if self.tactical else None)
            if self.leadership.uses_lock and self.tactical is not None:
                from .api.leader_proxy import LeaderProxy, TrackRelay

                self._app.add_middleware(LeaderProxy, leadership=self.leadership, self_url=self.advertise)
                self._app.state.track_relay = TrackRelay(self.leadership, self.advertise)  # the WebSocket stream's
        return self._app

    def start(self) -> Runtime:
        """Start the background work now (one server), or as soon as this instance leads its pool."""
        self.leadership.start()
        self.settler.start()
        return self

    def stop(self) -> None:
        """Stop the background work (the step in progress finishes); the system stays open."""
        self.settler.stop()
        self.leadership.stop()

    def _lead(self) -> None:
        from .workers.scheduler import Scheduler
        from .workers.webhooks import Dispatcher

        if self.scheduler is None:
            self.scheduler = Scheduler(self.system, Dispatcher(self.system), interval_s=self.interval_s).start()
        if self.tactical is not None:
            self.tactical.start()
        self._forgetting = threading.Event()
        threading.Thread(target=self._forget_old_keys, args=(self._forgetting,), name="deconfliction-keys", daemon=True).start()

    def _step_down(self) -> None:
        if self._forgetting is not None:
            self._forgetting.set()
        if self.tactical is not None:
            self.tactical.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None

    def _forget_old_keys(self, stopping: threading.Event) -> None:
        """Idempotency keys are kept 24 h (rules/idempotency.py); the leader drops older ones."""
        from .rules import idempotency

        while not stopping.wait(600.0):
            try:
                idempotency.forget_old(self.system.store, self.system.clock())
            except Exception:  # noqa: BLE001 - next time
                pass

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
