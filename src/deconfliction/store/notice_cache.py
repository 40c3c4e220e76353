"""Parsed notices kept in the process, by (id, version), so that a conflict search reads a stored
notice's JSON once, not on every filing that meets it.

A version changes on every write of a notice (rules/notices.new_version; the F3548 interface makes
its requested versions unique), so (id, version) names one content for good: an entry never goes
stale, it only stops being asked for. The cache belongs to one store object, so two stores in one
process never share entries. Bounded by the vertices it holds (a 2,000-vertex notice weighs as much
as 2,000 one-vertex ones), least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..models import Notice

DEFAULT_MAX_VERTICES = 2_000_000  # ~200 MB of parsed shapes


def _weight(notice: Notice) -> int:
    return sum(len(getattr(v.footprint, "vertices", ())) or 1 for v in notice.volumes)


class NoticeCache:
    def __init__(self, max_vertices: int = DEFAULT_MAX_VERTICES):
        self.max_vertices = max_vertices
        self._entries: OrderedDict[tuple[str, str], tuple[Notice, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, notice_id: str, version: str) -> Notice | None:
        """A copy of the notice (its volumes are shared: they are frozen), or None."""
        with self._lock:
            entry = self._entries.get((notice_id, version))
            if entry is None:
                return None
            self._entries.move_to_end((notice_id, version))
        return entry[0].model_copy()

    def put(self, notice: Notice) -> None:
        weight = _weight(notice)
        if weight > self.max_vertices:
            return
        key = (notice.id, notice.version)
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (notice.model_copy(), weight)
            self._held += weight
            while self._held > self.max_vertices:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._held -= dropped

    def __len__(self) -> int:
        return len(self._entries)
