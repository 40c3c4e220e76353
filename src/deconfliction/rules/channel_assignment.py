"""Channels assigned from a pool, where the agreement asks for it ([agreement.channel_assignment]).

A **cluster** is a connected group of conflicting notices (notices are nodes, open conflicts are edges):
the operations that come too close to each other, and whose aircraft must therefore talk on one channel.
Two clusters are **neighbours** when some volume of one is laterally closer than the pool's
`neighbour_distance_m` to some volume of the other while both are active (windows widened by the
agreement's time buffer; altitude does not matter, a radio does not care). Neighbours must not share a
channel, so the assignment is a graph colouring with the pool as colours:

1. clusters keep the channel they had (that of their oldest conflict), oldest cluster first, unless a
   neighbour already kept it — so an assignment stays put while clusters come and go;
2. the rest are coloured by DSatur (most distinct neighbour channels first, then most uncoloured
   neighbours, then the oldest), each taking the first pool channel no neighbour uses.

With at least one more channel in the pool than the most neighbours any cluster has, no two neighbours
share a channel. With fewer, a cluster that finds no free channel takes the one least used among its
neighbours, and every conflict of a cluster that shares its channel with a neighbour says so
(`channel.pool_exhausted = true`), as does the audit entry of the assignment.

Everything is recomputed for the agreement in the transaction of each change that opens, updates or
clears a conflict, so the cost grows with the agreement's open conflicts (one index search per cluster);
it is paid only by agreements that ask for a pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Sequence

from . import audit
from ..models.agreements import Agreement
from .events import publish
from ..geometry import Minima, volume_conflict
from ..models import LIVE_STATES, ChannelRef, Conflict, Notice

if TYPE_CHECKING:
    from ..store import Transaction

# Altitude never separates neighbours: a vertical minimum above any altitude a volume may have.
ANY_ALTITUDE_M = 1e6
PAGE = 1000


# The colouring itself: pure, deterministic, no I/O ------------------------------------------------
@dataclass
class Colouring:
    channels: list[str]  # the pool channel of each cluster, by index
    exhausted: set[int] = field(default_factory=set)  # clusters that share their channel with a neighbour


def colour(count: int, edges: Iterable[tuple[int, int]], pool: Sequence[str], previous: Sequence[str | None] = ()) -> Colouring:
    """Colour clusters 0..count-1 (index order = age, oldest first; ties are broken by it) with the pool.

    `previous[i]` is cluster i's channel before, kept where no neighbour already kept it."""
    if not pool:
        raise ValueError("the pool is empty")
    neighbours: list[set[int]] = [set() for _ in range(count)]
    for a, b in edges:
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    chosen: list[str | None] = [None] * count
    in_pool = set(pool)
    for i in range(count):
        wanted = previous[i] if i < len(previous) else None
        if wanted in in_pool and all(chosen[j] != wanted for j in neighbours[i]):
            chosen[i] = wanted
    order = {name: k for k, name in enumerate(pool)}
    while True:
        uncoloured = [i for i in range(count) if chosen[i] is None]
        if not uncoloured:
            break

        def urgency(i: int) -> tuple[int, int, int]:
            saturation = len({chosen[j] for j in neighbours[i] if chosen[j] is not None})
            degree = sum(1 for j in neighbours[i] if chosen[j] is None)
            return (saturation, degree, -i)

        i = max(uncoloured, key=urgency)
        used = [chosen[j] for j in neighbours[i] if chosen[j] is not None]
        free = [name for name in pool if name not in used]
        # No channel free of every neighbour: the one fewest neighbours use (first in the pool on a tie).
        chosen[i] = free[0] if free else min(pool, key=lambda name: (used.count(name), order[name]))
    final = [c for c in chosen if c is not None]
    exhausted = {i for i in range(count) for j in neighbours[i] if final[i] == final[j]}
    return Colouring(final, exhausted)


# Clusters and neighbours, from the store -----------------------------------------------------------
@dataclass
class Cluster:
    notices: list[Notice]
    conflicts: list[Conflict]  # oldest first

    @property
    def previous(self) -> str | None:
        """The pool channel the cluster had: that of its oldest conflict that has one."""
        return next((c.channel.name for c in self.conflicts if c.channel is not None and c.channel.assigned), None)


def open_conflicts(tx: Transaction, agreement_id: str) -> list[Conflict]:
    found: list[Conflict] = []
    after = None
    while True:
        page = tx.find_conflicts(agreement_id=agreement_id, open_only=True, limit=PAGE, after_id=after)
        found.extend(page)
        if len(page) < PAGE:
            return found
        after = page[-1].id


def clusters_of(tx: Transaction, agreement_id: str) -> list[Cluster]:
    """The agreement's clusters of conflicting notices, oldest first (by their oldest conflict)."""
    conflicts = sorted(open_conflicts(tx, agreement_id), key=lambda c: (c.opened_at, c.id))
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in conflicts:
        ra, rb = root(c.notice_a), root(c.notice_b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    grouped: dict[str, Cluster] = {}
    for c in conflicts:  # oldest first, so clusters come out ordered by their oldest conflict
        grouped.setdefault(root(c.notice_a), Cluster([], [])).conflicts.append(c)
    for notice_id in sorted(parent):
        notice = tx.get_notice(notice_id)
        if notice is not None:
            grouped[root(notice_id)].notices.append(notice)
    return list(grouped.values())


def neighbour_edges(tx: Transaction, agreement: Agreement, clusters: Sequence[Cluster]) -> list[tuple[int, int]]:
    assert agreement.channel_assignment is not None
    near = Minima(agreement.channel_assignment.neighbour_distance_m, ANY_ALTITUDE_M, agreement.separation.time_buffer_s)
    index = {n.id: k for k, cluster in enumerate(clusters) for n in cluster.notices}
    edges = set()
    for k, cluster in enumerate(clusters):
        volumes = [v for n in cluster.notices for v in n.volumes]
        for other in tx.candidate_notices(agreement.id, volumes, near, LIVE_STATES):
            j = index.get(other.id)
            if j is None or j <= k or (k, j) in edges:
                continue
            if any(volume_conflict(a, b, near) for a in volumes for b in other.volumes):
                edges.add((k, j))
    return sorted(edges)


def assign(tx: Transaction, agreement: Agreement, now: datetime, quiet: Iterable[str] = ()) -> dict[str, Conflict]:
    """Assign the pool's channels to the agreement's clusters; write the conflicts whose channel changed
    and return them by id. Both sides of a changed conflict hear `conflict.channel_changed`, except for
    the conflicts in `quiet` (the caller is about to tell of them anyway)."""
    settings = agreement.channel_assignment
    if settings is None:
        return {}
    clusters = clusters_of(tx, agreement.id)
    if not clusters:
        return {}
    pool = {c.name: c for c in settings.pool}
    result = colour(len(clusters), neighbour_edges(tx, agreement, clusters), list(pool), [c.previous for c in clusters])
    quiet = set(quiet)
    changed: dict[str, Conflict] = {}
    for k, cluster in enumerate(clusters):
        channel = pool[result.channels[k]]
        ref = ChannelRef(name=channel.name, contact=channel.contact, assigned=True, pool_exhausted=k in result.exhausted)
        for conflict in cluster.conflicts:
            if conflict.channel == ref:
                continue
            updated = conflict.model_copy(update={"channel": ref, "updated_at": now})
            tx.put_conflict(updated)
            changed[updated.id] = updated
            if updated.id not in quiet:
                payload = {"conflict": updated.model_dump(mode="json"), "previous_channel": conflict.channel.model_dump(mode="json") if conflict.channel else None}
                for party in (updated.party_a, updated.party_b):
                    publish(tx, party, "conflict.channel_changed", payload, now)
    if changed:
        audit.record(tx, "system", "channels.assigned", agreement.id, {
            "clusters": len(clusters),
            "changed": {cid: c.channel.name for cid, c in sorted(changed.items()) if c.channel},
            "pool_exhausted": sorted(c.id for k in sorted(result.exhausted) for c in clusters[k].conflicts),
        }, now)
    return changed
