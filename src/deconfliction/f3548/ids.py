"""Intent ids that USSs use again: the reference DSS lets the id of a deleted operational intent name
a new one. A notice is never removed (the record and its conflicts stay), so the new intent's notice
gets a derived id: the entity id itself first, then uuid5(entity id, generation 1, 2, …). The live
intent of an entity id is found by walking that chain past the ended and cancelled notices; the chain
is as long as the number of times the id was used again, and needs no column or table of its own."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ..models import Notice

if TYPE_CHECKING:
    from ..store import Transaction

NAMESPACE = uuid.UUID("8a4f0a5e-4b0e-4f7e-9d8e-3c5f6f0e5d31")  # fixed: the derived ids must not change
MAX_GENERATIONS = 100_000


def notice_id_of(entity_id: str, generation: int) -> str:
    return entity_id if generation == 0 else str(uuid.uuid5(NAMESPACE, f"{entity_id}/{generation}"))


def resolve(tx: "Transaction", agreement_id: str, entity_id: str) -> tuple[Notice | None, str]:
    """The live notice the entity id names in the agreement (or None), and the notice id a new intent
    of that entity id would take."""
    for generation in range(MAX_GENERATIONS):
        notice_id = notice_id_of(entity_id, generation)
        notice = tx.get_notice(notice_id)
        if notice is None:
            return None, notice_id
        if notice.is_live:
            return (notice if notice.agreement_id == agreement_id else None), notice_id
    raise RuntimeError(f"entity id {entity_id} used more than {MAX_GENERATIONS} times")
