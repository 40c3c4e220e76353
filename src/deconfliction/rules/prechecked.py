"""The heavy geometry of a filing, done before its write transaction so that it never holds the store's
write lock (invariant 5).

A snapshot read finds the candidates and computes the exact check against each of them, outside any
write. Inside the write transaction the conflict search runs again over the index's candidates, and a
candidate whose version is still the one the snapshot saw reuses the snapshot's answer; only notices
written since (a new version, or a notice that is new) are computed there. Versions change on every
write, so an answer is reused only for exactly the notice it was computed against.
"""

from __future__ import annotations

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

    def answer_for(self, volumes: list[Volume4D], minima: Minima, notice_id: str, version: str):
        """(True, answer) when known for exactly this notice version, else (False, None)."""
        same = len(volumes) == len(self.volumes) and all(a is b for a, b in zip(volumes, self.volumes))
        if not same or minima != self.minima or (notice_id, version) not in self.answers:
            return False, None
        return True, self.answers[(notice_id, version)]


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
        found = Precomputed(volumes, minima)
        for other in tx.candidate_notices(agreement.id, volumes, minima, LIVE_STATES):
            if other.party_id == party_id or other.id == exclude:
                continue
            raise_if_cancelled()
            found.answers[(other.id, other.version)] = closest(volumes, other.volumes, minima)
        return found

    return read(work)
