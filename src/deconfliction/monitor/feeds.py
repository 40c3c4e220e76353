"""Live SBS feeds over TCP: follow a receiver (client) or accept pushers (listener).

Both loops are single-threaded with a selector, wake at least once per cycle to run the monitor,
and stop when `stop` is set, so a caller (or a test) can always bound them. Lines are decoded as
they arrive; a malformed line is counted and logged, never fatal.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .monitor import CycleResult, Monitor
from .reports import MalformedReport, PositionReport
from .sbs import SbsDecoder

log = logging.getLogger(__name__)
MAX_LINE = 4096  # an SBS line is ~100 bytes; anything longer is garbage, not a message


class LineSplitter:
    """Bytes in, complete text lines out (CR/LF tolerant; overlong lines are dropped)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        if len(self._pending) > MAX_LINE:
            self._pending = b""
        return [line.decode("ascii", "replace").strip() for line in lines if len(line) <= MAX_LINE]


@dataclass
class LiveFeed:
    """Decodes lines into a batch and runs one monitor cycle per `cycle_s` (wall clock)."""

    monitor: Monitor
    decoder: SbsDecoder = field(default_factory=SbsDecoder)
    cycle_s: float = 1.0
    clock: Callable[[], float] = time.time
    on_cycle: Callable[[CycleResult], None] | None = None
    lines: int = 0
    malformed: Counter = field(default_factory=Counter)
    _batch: list[PositionReport] = field(default_factory=list)
    _next_cycle: float = 0.0

    def line(self, text: str) -> None:
        self.lines += 1
        try:
            report = self.decoder.decode(text)
        except MalformedReport as exc:
            self.malformed[str(exc)] += 1
            log.warning("malformed SBS line ignored (%s): %.80s", exc, text)
            return
        if report is not None:
            self._batch.append(report)

    def accept(self, reports: list[PositionReport]) -> None:
        """Reports decoded elsewhere (binary feeds: Beast, ASTERIX) join the next cycle's batch."""
        self._batch.extend(reports)

    def tick(self, force: bool = False) -> float:
        """Run a cycle if one is due; returns seconds until the next one."""
        now = self.clock()
        if force or now >= self._next_cycle:
            batch, self._batch = self._batch, []
            self.monitor.ingest(batch)
            result = self.monitor.step(now)
            if self.on_cycle:
                self.on_cycle(result)
            self._next_cycle = now + self.cycle_s
        return max(0.0, self._next_cycle - self.clock())


def follow_sbs(host: str, port: int, feed: LiveFeed, stop: threading.Event, reconnect_s: float = 2.0) -> None:
    """Connect to an SBS server (dump1090/readsb port 30003) and feed the monitor until `stop`."""
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port), timeout=5.0)
        except OSError as exc:
            log.warning("cannot reach SBS feed %s:%d (%s); retrying in %.0f s", host, port, exc, reconnect_s)
            stop.wait(reconnect_s)
            continue
        with sock:
            sock.setblocking(False)
            _pump({sock: LineSplitter()}, None, feed, stop)
        if not stop.is_set():
            log.warning("SBS feed %s:%d closed; reconnecting", host, port)
            stop.wait(min(reconnect_s, 0.2))


def listen_sbs(port: int, feed: LiveFeed, stop: threading.Event, host: str = "127.0.0.1",
               on_ready: Callable[[int], None] | None = None) -> None:
    """Accept connections that push SBS lines, from any number of senders, until `stop`.
    Port 0 picks a free port, passed to `on_ready`."""
    server = socket.create_server((host, port))
    with server:
        server.setblocking(False)
        if on_ready:
            on_ready(server.getsockname()[1])
        _pump({}, server, feed, stop)


def _pump(connections: dict, server, feed: LiveFeed, stop: threading.Event) -> None:
    selector = selectors.DefaultSelector()
    if server is not None:
        selector.register(server, selectors.EVENT_READ)
    for sock in connections:
        selector.register(sock, selectors.EVENT_READ)
    try:
        while not stop.is_set():
            timeout = min(feed.tick(), 0.1)  # wake often enough to notice `stop`
            for key, _ in selector.select(timeout):
                sock = key.fileobj
                if sock is server:
                    client, _addr = server.accept()
                    client.setblocking(False)
                    connections[client] = LineSplitter()
                    selector.register(client, selectors.EVENT_READ)
                    continue
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(sock)
                    connections.pop(sock)
                    if server is not None:
                        sock.close()
                    if not connections and server is None:
                        return
                    continue
                for text in connections[sock].feed(data):
                    feed.line(text)
    finally:
        for sock in list(connections):
            if server is not None:
                sock.close()
        selector.close()
