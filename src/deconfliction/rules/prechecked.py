"""The heavy geometry of a filing, done before its write transaction so that it never holds the store's
write lock (invariant 5).

A snapshot read finds the candidates and computes the exact check against each of them, outside any
write. Inside the write transaction the conflict search runs again over the index's candidates, and a
candidate whose version is still the one the snapshot saw reuses the snapshot's answer; only notices
written since (a new version, or a notice that is new) are computed there. Versions change on every
write, so an answer is reused only for exactly the notice it was computed against.

A client checks before it files (the check gives the key), so the same volumes meet the same stored
notices twice within moments: the answers of a check or a snapshot are kept for a while (`Remembered`,
by the volumes' value and the minima, bounded) and reused by the next check or filing of equal volumes,
for a stored notice only while it is still the very same version with the very same volume objects.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from ..geometry import Minima, Volume4D, VolumeConflict
from ..models import LIVE_STATES
from .cancellation import raise_if_cancelled
from .volume_limits import check_size

if TYPE_CHECKING:
    from ..store import Transaction


@dataclass
class Precomputed:
    """Answers of the exact check for these volumes (these very volume objects, in this order) under
    these minima, keyed by (notice id, version)."""

    volumes: list[Volume4D]
    minima: Minima
    answers: dict[tuple[str, str], VolumeConflict | None] = field(default_factory=dict)
    # The stored notice's volume objects each answer was computed against, where known (weakly: an
    # answer never keeps a notice alive). A version names one content within one store; two stores in
    # one process may reuse an id and a requested version, so an answer kept across requests is reused
    # only for the very objects it saw.
    against: dict[tuple[str, str], tuple[weakref.ref, ...]] = field(default_factory=dict)
    key: "_Key | None" = field(default=None, compare=False)  # its key in Remembered, once made

    def answer_for(self, volumes: list[Volume4D], minima: Minima, notice_id: str, version: str, theirs: list[Volume4D] | None = None):
        """(True, answer) when known for exactly this notice version (and, given `theirs`, for those very
        volume objects when the answer recorded which it saw), else (False, None)."""
        same = len(volumes) == len(self.volumes) and all(a is b for a, b in zip(volumes, self.volumes))
        key = (notice_id, version)
        if not same or minima != self.minima or key not in self.answers:
            return False, None
        if theirs is not None and not _same_objects(self.against.get(key), theirs):
            return False, None
        return True, self.answers[key]

    def learn(self, volumes: list[Volume4D], minima: Minima, notice_id: str, version: str, theirs: list[Volume4D], answer) -> None:
        """Keep an answer just computed for these very volumes, to be remembered (a check's, for the filing)."""
        same = len(volumes) == len(self.volumes) and all(a is b for a, b in zip(volumes, self.volumes))
        if same and minima == self.minima:
            self.answers[(notice_id, version)] = answer
            self.against[(notice_id, version)] = tuple(weakref.ref(v) for v in theirs)


def _same_objects(refs: tuple[weakref.ref, ...] | None, theirs: list[Volume4D]) -> bool:
    if refs is None:
        return True  # computed in this request's own snapshot: (id, version) names it (see `against`)
    return len(refs) == len(theirs) and all(ref() is volume for ref, volume in zip(refs, theirs))


class _Key:
    """Request volumes (by value) and minima, hashed once: a 2,000-vertex ring hashes in ~0.1 ms, and a
    dict hashes its key at every get, pop and set."""

    __slots__ = ("volumes", "minima", "_hash")

    def __init__(self, volumes: list[Volume4D], minima: Minima):
        self.volumes, self.minima = tuple(volumes), minima
        self._hash = hash((self.volumes, minima))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self._hash == other._hash and self.minima == other.minima and self.volumes == other.volumes


class Remembered:
    """Answers of recent checks and snapshots, by the request volumes' value and the minima; least
    recently used out first, bounded by weight: the request's vertices (its volumes are held) plus
    one per answer. A check and the filing it prepares follow each other within moments, so a small
    store serves them; a miss only means computing again."""

    def __init__(self, max_weight: int):
        self.max_weight = max_weight
        self._entries: OrderedDict = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def weight(found: Precomputed) -> int:
        vertices = sum(max(8, len(getattr(v.footprint, "vertices", ()))) for v in found.volumes)
        return vertices + len(found.answers)

    def recall(self, volumes: list[Volume4D], minima: Minima) -> Precomputed:
        """A Precomputed for these very volume objects holding what is remembered for equal volumes."""
        key = _Key(volumes, minima)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        found = Precomputed(list(volumes), minima, key=key)
        if entry is not None:
            found.answers.update(entry[0].answers)
            found.against.update(entry[0].against)
        return found

    def keep(self, found: Precomputed) -> None:
        weight = self.weight(found)
        if weight > self.max_weight:
            return
        key = found.key if found.key is not None else _Key(found.volumes, found.minima)
        kept = Precomputed(list(found.volumes), found.minima, dict(found.answers), dict(found.against), key)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._held -= previous[1]
            self._entries[key] = (kept, weight)
            self._held += weight
            while self._held > self.max_weight:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._held -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0
            self._held = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def held(self) -> int:
        return self._held


# ~200,000 vertices of request volumes as Python tuples: about 20 MB.
REMEMBERED_MAX_WEIGHT = 200_000
remembered = Remembered(REMEMBERED_MAX_WEIGHT)


_current: ContextVar[Precomputed | None] = ContextVar("precomputed_conflicts", default=None)


def current() -> Precomputed | None:
    return _current.get()


@contextmanager
def using(precomputed: Precomputed | None) -> Iterator[None]:
    token = _current.set(precomputed)
    try:
        yield
    finally:
        _current.reset(token)


def precompute(
    read: Callable[[Callable[[Transaction], Precomputed | None]], Precomputed | None],
    agreement_id: str | None,
    party_id: str,
    volumes: list[Volume4D],
    closest: Callable[[list[Volume4D], list[Volume4D], Minima], VolumeConflict | None],
    exclude: str | None = None,
) -> Precomputed | None:
    """The exact check of `volumes` against every candidate in a snapshot (`read`: the facade's read
    transaction), or None when the request will be refused anyway (unknown agreement, not a member,
    too large): the write path says why."""

    def work(tx: Transaction) -> Precomputed | None:
        agreement_for = agreement_id
        if agreement_for is None and exclude is not None:
            notice = tx.get_notice(exclude)
            agreement_for = notice.agreement_id if notice is not None else None
        agreement = tx.get_agreement(agreement_for) if agreement_for is not None else None
        if agreement is None or party_id not in agreement.parties:
            return None
        try:
            check_size(agreement, volumes)
        except Exception:
            return None
        minima = agreement.separation.minima()
        recalled = remembered.recall(volumes, minima)  # what a check of equal volumes found moments ago
        found = Precomputed(volumes, minima, key=recalled.key)
        for other in tx.candidate_notices(agreement.id, volumes, minima, LIVE_STATES):
            if other.party_id == party_id or other.id == exclude:
                continue
            raise_if_cancelled()
            reused, answer = recalled.answer_for(volumes, minima, other.id, other.version, other.volumes)
            if not reused:
                answer = closest(volumes, other.volumes, minima)
            found.learn(volumes, minima, other.id, other.version, other.volumes, answer)
        remembered.keep(found)
        return found

    return read(work)
