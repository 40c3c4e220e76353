"""Zones through the facade's transactions: list them (members of the agreement), and store an
import (the operator), each zone written and recorded in the audit log in one transaction."""

from __future__ import annotations

from ..access import agreement as visible_agreement
from ..audit import record_many
from ..errors import NotFound
from .model import Zone


def list_zones(system, viewer: str | None, agreement_id: str) -> list[Zone]:
    """The agreement's zones; NotFound for a party that is not a member (invariant 3)."""
    visible_agreement(system, viewer, agreement_id)
    with system.store.transaction(write=False) as tx:
        return tx.zones_of(agreement_id)


def store_zones(system, actor: str, agreement_id: str, zones: list[Zone], *, replace: bool = False) -> dict:
    """Write the zones (same id: replaced); with `replace`, the agreement's other zones are removed.
    Returns counts of what was written and removed."""
    now = system.clock()
    zones = [z.model_copy(update={"created_at": z.created_at or now}) for z in zones]

    def work(tx):
        if tx.get_agreement(agreement_id) is None:
            raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
        removed = []
        if replace:
            keep = {z.id for z in zones}
            for old in tx.zones_of(agreement_id):
                if old.id not in keep:
                    tx.delete_zone(old.id)
                    removed.append(old.id)
        for zone in zones:
            tx.put_zone(zone)
        record_many(tx, [(actor, "zone.saved", zone.id, zone.model_dump(mode="json")) for zone in zones]
                    + [(actor, "zone.removed", zone_id, {"agreement_id": agreement_id}) for zone_id in removed], now)
        return {"saved": len(zones), "removed": len(removed)}

    return system._write(work)
