"""The geometry of an F3548 intent write, done against a snapshot before its write transaction, as
rules/prechecked.py does for a native filing (invariant 5: no write waits on another's geometry).

An intent write asks four geometric questions of stored things: which intents its extent meets (the
key), which notices it conflicts with (notices.py), which constraints it meets, and which
subscriptions must hear of it. In a read transaction (a snapshot) each is answered for every
candidate; inside the write, an answer is reused only for the very stored version it was computed
against (an intent's OVN, a subscription's version, a constraint's OVN) and for these very request
volumes; anything written since is computed again there. Versions change with every write of a
shape, so a reused answer is the answer the write would compute.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from ..geometry import Minima, Volume4D, search_boxes
from ..models import LIVE_STATES, Notice
from ..rules import prechecked as notice_prechecked
from ..rules.cancellation import raise_if_cancelled
from ..rules.conflicts import closest_conflict
from ..rules.events import TOUCHING
from . import extent
from . import ids as intent_ids
from .config import F3548Config

if TYPE_CHECKING:
    from ..store import Transaction


@dataclass
class Relevance:
    """Answers of extent.relevant, by (kind, stored id, stored version, request, minima), and the exact
    conflicts for notices.py."""

    answers: dict[tuple, bool] = field(default_factory=dict)
    conflicts: notice_prechecked.Precomputed | None = None


_current: ContextVar[Relevance | None] = ContextVar("f3548_precomputed", default=None)


@contextmanager
def using(known: Relevance | None) -> Iterator[None]:
    """Inside: the answers of `known` are reused by `relevant`, and its conflicts by notices.py."""
    token = _current.set(known)
    try:
        with notice_prechecked.using(known.conflicts if known is not None else None):
            yield
    finally:
        _current.reset(token)


def request(volumes: Sequence[Volume4D], previous: Notice | None = None) -> tuple:
    """The request side of an answer: these very volume objects (alive for the whole request), and the
    version of the intent whose earlier volumes were added to them, if any."""
    return tuple(id(v) for v in volumes), (previous.id, previous.version) if previous is not None else None


def relevant(stored: tuple[str, str, str], theirs: list[Volume4D], mine: list[Volume4D], minima: Minima, asked: tuple) -> bool:
    """extent.relevant(mine, theirs, minima) for the stored entity (kind, id, version), from the snapshot
    when it was computed there for the same version and request (`asked`: `request(...)`)."""
    known = _current.get()
    key = (*stored, asked, minima)
    if known is not None and key in known.answers:
        return known.answers[key]
    return extent.relevant(mine, theirs, minima)


def for_put(
    read: Callable[[Callable[[Transaction], Relevance | None]], Relevance | None],
    cfg: F3548Config,
    *,
    uss: str,
    entity_id: str,
    volumes: list[Volume4D],
    now: datetime,
) -> Relevance | None:
    """Every answer a put of these extents will ask for, computed in a snapshot (`read`), or None when
    there is nothing to compute (the write says why it refuses)."""
    live = extent.live_part(volumes, now)
    if not live:
        return None

    def work(tx: Transaction) -> Relevance | None:
        agreement = tx.get_agreement(cfg.agreement_id)
        if agreement is None:
            return None
        minima = agreement.separation.minima()
        existing, notice_id = intent_ids.resolve(tx, cfg.agreement_id, entity_id)
        known = Relevance(conflicts=notice_prechecked.Precomputed(live, minima))
        asked = request(live)
        for other in tx.candidate_notices(cfg.agreement_id, extent.search_volumes(live), minima, LIVE_STATES):
            raise_if_cancelled()
            if other.id != notice_id:
                known.answers[("notice", other.id, other.version, asked, minima)] = extent.relevant(live, other.volumes, minima)
        for other in tx.candidate_notices(cfg.agreement_id, live, minima, LIVE_STATES):
            raise_if_cancelled()
            if other.party_id != uss and other.id != notice_id:
                known.conflicts.answers[(other.id, other.version)] = closest_conflict(live, other.volumes, minima)
        boxes = [box for v in extent.search_volumes(live) for box in search_boxes(v, TOUCHING)]
        for zone in tx.zones_near(cfg.agreement_id, boxes):  # as constraints.intersecting asks
            theirs = extent.zone_volumes(zone, cfg, now)
            if theirs:
                known.answers[("constraint", zone.id, zone.ovn, asked, TOUCHING)] = extent.relevant(live, theirs, TOUCHING)
        previous = existing if existing is not None and existing.party_id == uss else None
        touched = [*(previous.volumes if previous is not None else []), *live]
        told = request(live, previous)
        for sub in tx.f3548_subscriptions_near(cfg.agreement_id, extent.search_volumes(touched), TOUCHING):  # as subscriptions.candidates
            raise_if_cancelled()
            known.answers[("subscription", sub.id, sub.version, told, TOUCHING)] = extent.relevant(touched, sub.volumes, TOUCHING)
        return known

    return read(work)
