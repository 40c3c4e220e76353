"""F3548 constraint references are the agreement's zones: one record (models/zones.Zone), one table.

A USS in the constraint management role creates, changes and deletes zones through /dss/v1 (their
geometry is the constraint's volumes; they are `conditional`, the conditions being with the USS). The
operator's zones (imported, or created over /v1) are served as references too, managed by no USS:
their details (volumes, type, the ED-269 geozone) are served by this server itself (`details`), whose
address is their `uss_base_url`. A zone with published limits and a schedule is seen here as the
volumes it has within the constraint planning horizon from now.

Constraints take no part in conflicts between parties; an intent whose subscription asks for
constraint notifications must hold their OVNs in its key, and every notice filed in the agreement
is checked against them as against any zone (rules/zones.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import Forbidden, InvalidState, NotFound, VersionMismatch
from ..geometry import Volume4D, search_boxes
from ..models.zones import Zone, constraint_zone
from ..rules import audit
from ..rules.events import TOUCHING
from ..rules.notices import new_version
from . import extent
from . import prechecked
from .config import F3548Config
from .subscriptions import notify
from .uss import availability
from .wire import check_future, time, volume_to_wire

if TYPE_CHECKING:
    from ..store import Transaction

# The manager F3548 names for the operator's zones (no USS manages them; none is given their OVN).
OPERATOR = "operator"


volumes_of = extent.zone_volumes  # the zone as F3548 volumes


def reference(tx: Transaction, zone: Zone, viewer: str, cfg: F3548Config, now: datetime) -> dict[str, Any]:
    """The wire reference; the OVN only for its manager (the standard: never to other USSs). The
    operator's zones name this server's details address (`cfg.zone_details_url`) as their USS's."""
    volumes = volumes_of(zone, cfg, now) or list(zone.extents)
    manager = zone.manager or OPERATOR
    out: dict[str, Any] = {
        "id": zone.id,
        "manager": manager,
        "uss_availability": availability(tx, manager).availability,
        "version": zone.version,
        "time_start": time(min(v.time.start for v in volumes)) if volumes else time(now),
        "time_end": time(max(v.time.end for v in volumes)) if volumes else time(now),
        "uss_base_url": zone.uss_base_url or cfg.zone_details_url,
    }
    if zone.manager and viewer == zone.manager:
        out["ovn"] = zone.ovn
    return out


def details(tx: Transaction, cfg: F3548Config, constraint_id: str, now: datetime) -> dict[str, Any]:
    """An operator's zone as the USS API's Constraint (GET /uss/v1/constraints/{id}), served by this
    server as its managing USS would: the reference with its OVN (for the keys of constraint
    processors), its volumes within the horizon, its restriction as the type."""
    zone = get(tx, cfg, constraint_id)
    volumes = volumes_of(zone, cfg, now)
    if zone.manager or not volumes:
        raise NotFound(f"no zone {constraint_id} of the operator active within the planning horizon", field="entityid")
    return {"constraint": {
        "reference": {**reference(tx, zone, OPERATOR, cfg, now), "ovn": zone.ovn},
        "details": {"volumes": [volume_to_wire(v) for v in volumes], "type": f"deconfliction.zone.{zone.restriction}"},
    }}


def intersecting(tx: Transaction, cfg: F3548Config, volumes: list[Volume4D], now: datetime) -> list[Zone]:
    """The agreement's zones whose F3548 extent meets these volumes' (as the reference DSS decides it)."""
    boxes = [box for v in extent.search_volumes(volumes) for box in search_boxes(v, TOUCHING)]
    asked = prechecked.request(volumes)  # answers from the snapshot when there was one (prechecked.py)
    found = []
    for zone in tx.zones_near(cfg.agreement_id, boxes):
        theirs = volumes_of(zone, cfg, now)
        if theirs and prechecked.relevant(("constraint", zone.id, zone.ovn), theirs, volumes, TOUCHING, asked):
            found.append(zone)
    return found


def get(tx: Transaction, cfg: F3548Config, constraint_id: str) -> Zone:
    zone = tx.get_zone(constraint_id)
    if zone is None or zone.agreement_id != cfg.agreement_id:
        raise NotFound(f"no constraint {constraint_id}", field="entityid")
    return zone


def _owned(tx: Transaction, cfg: F3548Config, uss: str, constraint_id: str, ovn: str) -> Zone:
    zone = get(tx, cfg, constraint_id)
    if zone.manager != uss:
        raise Forbidden(f"constraint {constraint_id} is managed by {zone.manager or 'the operator'}", field="entityid")
    if ovn != zone.ovn:
        raise VersionMismatch("the constraint has changed since that OVN", field="ovn")
    return zone


def put(
    tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, constraint_id: str, ovn: str | None,
    volumes: list[Volume4D], uss_base_url: str,
) -> tuple[Zone, list[dict[str, Any]]]:
    """Create (ovn None) or update; returns the zone and the subscribers to notify."""
    check_future(volumes, now, timedelta(days=cfg.constraint_horizon_days), "extents")
    if ovn is None:
        if tx.get_zone(constraint_id) is not None:
            raise InvalidState(f"constraint {constraint_id} already exists", field="entityid")
        previous: list[Volume4D] = []
        version, created_at = 1, now
    else:
        old = _owned(tx, cfg, uss, constraint_id, ovn)
        previous, version, created_at = list(old.extents), old.version + 1, old.created_at
    zone = constraint_zone(
        zone_id=constraint_id, agreement_id=cfg.agreement_id, manager=uss, version=version, ovn=new_version(),
        uss_base_url=uss_base_url, volumes=volumes, created_at=created_at,
    )
    tx.put_zone(zone)
    audit.record(tx, uss, "f3548.constraint." + ("created" if ovn is None else "updated"), zone.id, {"version": version}, now)
    return zone, notify(tx, cfg, [*previous, *volumes], "constraints")


def delete(tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, constraint_id: str, ovn: str) -> tuple[Zone, list[dict[str, Any]]]:
    zone = _owned(tx, cfg, uss, constraint_id, ovn)
    tx.delete_zone(zone.id)
    audit.record(tx, uss, "f3548.constraint.deleted", zone.id, {"version": zone.version}, now)
    return zone, notify(tx, cfg, list(zone.extents), "constraints")
