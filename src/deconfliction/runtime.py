"""A running server: the API app, the scheduler (deadlines, escalations, expiry, webhooks) and the
tactical loop over one system, started and stopped together. `deconfliction serve` and
`deconfliction demo` both run through it.

    >>> with Runtime(system, ApiSettings(database="airspace.db")) as running:
    ...     uvicorn.run(running.app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

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

    def __init__(self, system: Deconfliction, settings: ApiSettings | None = None, *, tactical: bool = True, interval_s: float = 1.0):
        self.system = system
        self.settings = settings
        self.interval_s = interval_s
        self.scheduler: Scheduler | None = None
        self.tactical: TacticalLoop | None = self._tactical_loop() if tactical else None
        self._app: FastAPI | None = None

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
        return self._app

    def start(self) -> Runtime:
        from .workers.scheduler import Scheduler
        from .workers.webhooks import Dispatcher

        if self.scheduler is None:
            self.scheduler = Scheduler(self.system, Dispatcher(self.system), interval_s=self.interval_s).start()
        if self.tactical is not None:
            self.tactical.start()
        return self

    def stop(self) -> None:
        """Stop the background work (the step in progress finishes); the system stays open."""
        if self.tactical is not None:
            self.tactical.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None

    def __enter__(self) -> Runtime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
