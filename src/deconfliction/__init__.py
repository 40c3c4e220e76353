"""deconfliction: advance notice, conflicts and acknowledgments between parties that share airspace.

The library and the CLI are the same functions: `connect()` a store, then file notices, read
conflicts and acknowledge them, talk over the hotline. Geometry lives in `deconfliction.geometry`,
the records in `deconfliction.models`, the HTTP API in `deconfliction.api`, the F3548 DSS interface
in `deconfliction.f3548` and `deconfliction.api.f3548`; docs/architecture.md has the whole map.

The names below are loaded on first use, so that `deconfliction --help` (which imports this package)
does not load geometry, the store and the API.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Agreement": "models", "Channel": "models", "Party": "models", "Separation": "models", "load_toml": "models",
    "Conflict": "models", "Event": "models", "Filing": "models", "HotlineMessage": "models", "InboxItem": "models",
    "LineStatus": "models", "MessageRefs": "models", "MinimisedNotice": "models", "Notice": "models", "NoticePrivate": "models",
    "DeconflictionError": "errors",
    "AltitudeBand": "geometry", "Circle": "geometry", "Polygon": "geometry", "TimeWindow": "geometry", "Volume4D": "geometry",
    "load_volumes": "geometry",
    "Deconfliction": "service", "connect": "service",
}

if TYPE_CHECKING:
    from .errors import DeconflictionError
    from .geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D, load_volumes
    from .models import (
        Agreement, Channel, Conflict, Event, Filing, HotlineMessage, InboxItem, LineStatus, MessageRefs, MinimisedNotice, Notice,
        NoticePrivate, Party, Separation, load_toml,
    )
    from .service import Deconfliction, connect


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = sorted(_PUBLIC)
