"""`serve` stops within seconds of SIGTERM or Ctrl-C, even with long requests in flight: the signal
stops every running conflict search at its next candidate (cancellation.py), so in-flight requests end
at once with a 503, and uvicorn waits for them at most GRACE_S before closing anyway."""

from __future__ import annotations

import uvicorn

from ..rules.cancellation import stop_all_work

GRACE_S = 3


class _StoppingServer(uvicorn.Server):
    def handle_exit(self, sig, frame) -> None:
        stop_all_work()
        super().handle_exit(sig, frame)


def serve_until_signalled(app, *, host: str, port: int, log_level: str) -> None:
    _StoppingServer(uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=GRACE_S)).run()
