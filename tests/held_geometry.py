"""For tests about who waits for whom: an exact geometry check that waits until the test lets it go,
and a call run in a real thread with its outcome kept for the test."""

from __future__ import annotations

import threading
from typing import Any, Callable

from deconfliction.geometry import separation


def hold_geometry(monkeypatch, is_held: Callable[[Any], bool]) -> tuple[threading.Event, threading.Event]:
    """Any exact lateral check involving a footprint for which `is_held` is true waits for `release`
    (after setting `entered`); once released, every check runs at once."""
    entered, release = threading.Event(), threading.Event()
    exact = separation.lateral_distance

    def waiting(a, b, limit_m=None):
        if (is_held(a) or is_held(b)) and not release.is_set():
            entered.set()
            assert release.wait(30), "the test never released the held geometry"
        return exact(a, b, limit_m=limit_m)

    monkeypatch.setattr(separation, "lateral_distance", waiting)
    return entered, release


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Start `call` in a thread; its value or exception lands in the returned dict."""
    outcome: dict[str, Any] = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome
