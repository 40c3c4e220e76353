"""deconfliction: advance notice, conflicts and acknowledgments between parties that share airspace.

The library and the CLI are the same functions: `connect()` a store, then file notices, read
conflicts and acknowledge them, talk over the hotline. Geometry lives in `deconfliction.geometry`,
the HTTP API in `deconfliction.api`, the F3548 DSS interface in `deconfliction.f3548`.
"""

from .agreements import Agreement, Channel, Party, Separation, load_toml
from .errors import DeconflictionError
from .geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D, load_volumes
from .models import Conflict, Event, HotlineMessage, InboxItem, LineStatus, MessageRefs, MinimisedNotice, Notice, NoticePrivate
from .notices import Filing
from .service import Deconfliction, connect

__version__ = "0.1.0"

__all__ = [
    "Agreement",
    "AltitudeBand",
    "Channel",
    "Circle",
    "Conflict",
    "Deconfliction",
    "DeconflictionError",
    "Event",
    "Filing",
    "HotlineMessage",
    "InboxItem",
    "LineStatus",
    "MessageRefs",
    "MinimisedNotice",
    "Notice",
    "NoticePrivate",
    "Party",
    "Polygon",
    "Separation",
    "TimeWindow",
    "Volume4D",
    "connect",
    "load_toml",
    "load_volumes",
]
