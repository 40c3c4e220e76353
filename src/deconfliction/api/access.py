"""Who may see which agreements, parties and conflicts: the read-side of invariant 3 for callers that
are not the services themselves (the HTTP API). Every function takes the viewing party (None: the
operator, who sees everything) and answers NotFound, never Forbidden, for what the viewer may not see,
so that a non-member cannot tell whether it exists."""

from __future__ import annotations

from ..models.agreements import Agreement, Party
from ..errors import NotFound
from ..models import Conflict
from ..service import Deconfliction


def agreement(system: Deconfliction, viewer: str | None, agreement_id: str) -> Agreement:
    found = system.agreement(agreement_id)
    if viewer is not None and viewer not in found.parties:
        raise NotFound(f"no agreement {agreement_id!r} with {viewer!r} as a member", field="agreement_id")
    return found


def parties(system: Deconfliction, viewer: str | None) -> list[Party]:
    """All parties for the operator; for a party, itself and those it shares an agreement with."""
    everyone = system.parties()
    if viewer is None:
        return everyone
    known = {viewer} | {p for a in system.agreements(viewer) for p in a.parties}
    return [p for p in everyone if p.id in known]


def party(system: Deconfliction, viewer: str | None, party_id: str) -> Party:
    if viewer is not None and party_id != viewer and party_id not in {p for a in system.agreements(viewer) for p in a.parties}:
        raise NotFound(f"no party {party_id!r}", field="party_id")
    return system.party(party_id)


def conflict(system: Deconfliction, viewer: str | None, conflict_id: str) -> Conflict:
    """One conflict: for a party only one it is a side of."""
    found = system.read(lambda tx: tx.get_conflict(conflict_id))
    if found is None or (viewer is not None and not found.involves(viewer)):
        raise NotFound(f"no conflict {conflict_id}", field="conflict_id")
    return found
