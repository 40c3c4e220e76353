"""The `deconfliction` command: the library's functions, for people (tables) and machines (--json).

One module per command group; each adds itself to the root `app` (app.py) when imported. Shared:
who acts on which store (session.py), table or --json and refusals (output.py), tables (render.py).
The library is imported only inside commands, so `deconfliction --help` answers at once.
"""

from __future__ import annotations

import os
import sys

from . import agreements, audit, channels, cluster, conflicts, data, demo, events, evidence, hotline, monitor, notices, server  # noqa: F401  (they register)
from .app import app


def main() -> None:
    if os.environ.get("DECONFLICTION_DEBUG"):
        app()
        return
    try:
        app()
    except BrokenPipeError:
        sys.exit(0)


__all__ = ["app", "main"]
