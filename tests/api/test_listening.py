"""`serve --workers N` hands its workers a socket on which Nagle's algorithm is off (api/listening.py):
without it every reply after a connection's first waited ~40 ms for the client's delayed ACK."""

from __future__ import annotations

import socket

import uvicorn

from deconfliction.api.listening import listening_socket


def test_connections_accepted_for_the_workers_send_at_once():
    config = uvicorn.Config("deconfliction.api.app:app_from_env", factory=True, host="127.0.0.1", port=0, workers=2)
    listener = listening_socket(config)
    try:
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2], timeout=5):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
