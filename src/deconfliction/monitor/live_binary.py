"""Live binary feeds into the monitor: a Mode S Beast receiver over TCP (dump1090/readsb port 30005)
and ASTERIX CAT021/CAT062 datagrams over UDP.

Like the SBS loops (feeds.py) they are single-threaded, wake at least every 0.1 s to run the
monitor's cycle and to notice `stop`, and never stop on bad input: malformed frames and datagrams
are counted (in the returned stream's `malformed`) and skipped. Live Beast frames are stamped with
the wall clock at reception, since a receiver's MLAT counter is not UTC.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from typing import Callable

from .asterix import AsterixDecoder
from .beast import BeastStream, ModeSDecoder
from .feeds import LiveFeed
from .parties import PartyAssigner

log = logging.getLogger(__name__)


def follow_beast(host: str, port: int, feed: LiveFeed, stop: threading.Event, *, parties: PartyAssigner | None = None,
                 reconnect: bool = True, reconnect_s: float = 2.0) -> BeastStream:
    """Connect to a Beast server and feed the monitor until `stop` (or, with `reconnect=False`,
    until the server closes the connection). Returns the stream with its counts."""
    stream = BeastStream(ModeSDecoder(parties or PartyAssigner()), start=None)
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port), timeout=5.0)
        except OSError as exc:
            if not reconnect:
                raise
            log.warning("cannot reach Beast feed %s:%d (%s); retrying in %.0f s", host, port, exc, reconnect_s)
            stop.wait(reconnect_s)
            continue
        with sock:
            sock.setblocking(False)
            _pump(sock, lambda data: feed.accept(stream.feed(data, feed.clock())), feed, stop, datagram=False)
        if not reconnect:
            break
        if not stop.is_set():
            log.warning("Beast feed %s:%d closed; reconnecting", host, port)
            stop.wait(min(reconnect_s, 0.2))
    return stream


def listen_asterix(port: int, feed: LiveFeed, stop: threading.Event, *, host: str = "127.0.0.1",
                   parties: PartyAssigner | None = None, on_ready: Callable[[int], None] | None = None) -> AsterixDecoder:
    """Receive ASTERIX datagrams on a UDP port until `stop`; port 0 picks a free one (given to `on_ready`)."""
    decoder = AsterixDecoder(parties or PartyAssigner())
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.bind((host, port))
        sock.setblocking(False)
        if on_ready:
            on_ready(sock.getsockname()[1])
        _pump(sock, lambda data: feed.accept(decoder.decode(data, feed.clock())), feed, stop, datagram=True)
    return decoder


def _pump(sock: socket.socket, consume: Callable[[bytes], None], feed: LiveFeed, stop: threading.Event, *, datagram: bool) -> None:
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    try:
        while not stop.is_set():
            for _key, _ in selector.select(min(feed.tick(), 0.1)):
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data and not datagram:
                    return
                consume(data)
    finally:
        selector.close()
