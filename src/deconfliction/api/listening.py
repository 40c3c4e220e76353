"""`serve --workers N`: uvicorn's worker processes on one listening socket, with TCP_NODELAY.

uvicorn binds the socket it hands its workers with `proto` 0, and asyncio only turns Nagle's
algorithm off on accepted connections whose socket says IPPROTO_TCP; so, with more than one worker,
a reply written in two pieces (headers, then body) waited for the client's delayed ACK: about 40 ms
on every request after a connection's first, on Linux (uvicorn issue #3149). Measured with
`bench/http_congested.py`: two workers answered `GET /v1/health` in 44 ms against one worker's 1 ms.
Linux copies TCP_NODELAY from a listening socket to the connections it accepts, so it is set there.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """uvicorn's socket for `config`, with Nagle off for every connection it accepts."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def serve_workers(app: str, *, host: str, port: int, workers: int, log_level: str, timeout_graceful_shutdown: int) -> None:
    """What `uvicorn.run(app, factory=True, workers=N, …)` does, on a socket from `listening_socket`."""
    config = uvicorn.Config(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level,
        timeout_graceful_shutdown=timeout_graceful_shutdown,
    )
    Multiprocess(config, sockets=[listening_socket(config)]).run()
