"""Zones: what a filing learns from the agreement's zones: every volume that reaches into an active zone,
exactly (geodesic footprints, vertical bands across datums conservatively, the zone's schedule).

A prohibited zone refuses the filing when the agreement's `zone_policy` is `refuse` (the default),
and is reported like the others under `flag`; the other restrictions are always reported with the
zone's contact and message. The store's boxes, then each zone volume's own boxes, narrow the zones
before any exact geometry.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from ..errors import ConflictRefused, InvalidState, NotFound
from ..geometry import Minima, Volume4D, index_boxes, search_boxes, volume_conflict
from ..models.zones import Zone, ZoneHit
from .audit import record_many

REACHING_INTO = Minima(lateral_m=1e-3, vertical_m=0.0, time_buffer_s=0.0)  # overlap, not nearness


def _boxes_meet(a, b) -> bool:
    return (a.min_lon <= b.max_lon and b.min_lon <= a.max_lon and a.min_lat <= b.max_lat and b.min_lat <= a.max_lat
            and a.min_t <= b.max_t and b.min_t <= a.max_t)


def zone_hits(zones: list[Zone], volumes: list[Volume4D]) -> list[ZoneHit]:
    hits: list[ZoneHit] = []
    searches = [search_boxes(v, REACHING_INTO) for v in volumes]
    for zone in zones:
        for index, volume in enumerate(volumes):
            for zone_volume in zone.volumes_during(volume.time):
                zone_boxes = index_boxes(zone_volume)
                if not any(_boxes_meet(a, b) for a in searches[index] for b in zone_boxes):
                    continue
                found = volume_conflict(volume, zone_volume, REACHING_INTO)
                if found is not None:
                    hits.append(ZoneHit(zone=zone.summary(), volume_index=index, time_start=found.time_start, time_end=found.time_end))
                    break
    return hits


def zone_verdict(tx, agreement, volumes: list[Volume4D]) -> tuple[list[ZoneHit], ConflictRefused | None]:
    """The volumes' zone hits, and the refusal filing them would meet (a prohibited zone under
    `refuse`), without raising it: what `check` reports and `check_zones` enforces."""
    boxes = [box for volume in volumes for box in search_boxes(volume, REACHING_INTO)]
    zones = tx.zones_near(agreement.id, boxes)
    if not zones:
        return [], None
    hits = zone_hits(zones, volumes)
    prohibited = [h for h in hits if h.zone["restriction"] == "prohibited"]
    if not prohibited or getattr(agreement, "zone_policy", "refuse") != "refuse":
        return hits, None
    first = prohibited[0]
    contact = f" (contact: {first.zone['contact']})" if first.zone["contact"] else ""
    return hits, ConflictRefused(
        f"volume {first.volume_index} enters prohibited zone {first.zone['name']}{contact}",
        field=f"volumes[{first.volume_index}]",
        details={"zones": [h.model_dump(mode="json") for h in prohibited]},
    )


def check_zones(tx, agreement, volumes: list[Volume4D]) -> list[ZoneHit]:
    """The filing's zone hits; raises ConflictRefused (409) for a prohibited zone under `refuse`."""
    hits, refusal = zone_verdict(tx, agreement, volumes)
    if refusal is not None:
        raise refusal
    return hits


def save_zones(tx, *, actor: str, agreement_id: str, zones: list[Zone], now: datetime, replace: bool = False) -> dict:
    """Write the operator's zones (same id: replaced, its version counted up and a new OVN, as any
    F3548 constraint reference), each recorded in the audit log; with `replace`, the agreement's
    operator zones not among them are removed (a USS's constraints are its own: never touched here).
    Returns how many were saved and removed."""
    if tx.get_agreement(agreement_id) is None:
        raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
    saved = []
    for zone in zones:
        old = tx.get_zone(zone.id)
        if old is not None and old.manager:
            raise InvalidState(f"zone {zone.id} is an F3548 constraint managed by {old.manager}", field="zones")
        if old is not None and old.agreement_id != agreement_id:
            raise InvalidState(f"zone id {zone.id} is taken by another agreement's zone", field="zones")
        saved.append(zone.model_copy(update={
            "created_at": (old.created_at if old else None) or zone.created_at or now, "manager": "",
            "version": old.version + 1 if old else 1, "ovn": secrets.token_urlsafe(12),  # as notices.new_version (which imports this module)
        }))
    removed = []
    if replace:
        keep = {z.id for z in saved}
        for old in tx.zones_of(agreement_id):
            if old.id not in keep and not old.manager:
                tx.delete_zone(old.id)
                removed.append(old.id)
    for zone in saved:
        tx.put_zone(zone)
    record_many(tx, [(actor, "zone.saved", zone.id, zone.model_dump(mode="json", exclude={"ovn"})) for zone in saved]
                + [(actor, "zone.removed", zone_id, {"agreement_id": agreement_id}) for zone_id in removed], now)
    return {"saved": len(saved), "removed": len(removed)}
