"""F3548 constraint references: areas where a constraint applies, managed by a USS in the constraint
management role. They are not notices (they take no part in conflicts between parties); an intent
whose subscription asks for constraint notifications must hold their OVNs in its key."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..rules import audit
from ..errors import Forbidden, InvalidState, NotFound, VersionMismatch
from ..geometry import Volume4D
from ..rules.notices import new_version
from .config import F3548Config
from ..models.f3548 import ConstraintRecord
from ..rules.events import TOUCHING
from . import extent
from . import prechecked
from .subscriptions import notify
from .uss import availability
from .wire import check_future, time

if TYPE_CHECKING:
    from ..store import Transaction


def reference(tx: Transaction, record: ConstraintRecord, viewer: str) -> dict[str, Any]:
    """The wire reference; the OVN only for its manager (the standard: never to other USSs)."""
    out: dict[str, Any] = {
        "id": record.id,
        "manager": record.manager,
        "uss_availability": availability(tx, record.manager).availability,
        "version": record.version,
        "time_start": time(record.time_start),
        "time_end": time(record.time_end),
        "uss_base_url": record.uss_base_url,
    }
    if viewer == record.manager:
        out["ovn"] = record.ovn
    return out


def intersecting(tx: Transaction, cfg: F3548Config, volumes: list[Volume4D]) -> list[ConstraintRecord]:
    start, end = min(v.time.start for v in volumes), max(v.time.end for v in volumes)
    asked = prechecked.request(volumes)
    return [
        c for c in tx.f3548_constraints(cfg.agreement_id, start, end)
        if prechecked.relevant(("constraint", c.id, c.ovn), c.volumes, volumes, TOUCHING, asked)
    ]


def get(tx: Transaction, cfg: F3548Config, constraint_id: str) -> ConstraintRecord:
    record = tx.get_f3548_constraint(constraint_id)
    if record is None or record.agreement_id != cfg.agreement_id:
        raise NotFound(f"no constraint {constraint_id}", field="entityid")
    return record


def _owned(tx: Transaction, cfg: F3548Config, uss: str, constraint_id: str, ovn: str) -> ConstraintRecord:
    record = get(tx, cfg, constraint_id)
    if record.manager != uss:
        raise Forbidden(f"constraint {constraint_id} is managed by {record.manager}", field="entityid")
    if ovn != record.ovn:
        raise VersionMismatch("the constraint has changed since that OVN", field="ovn")
    return record


def put(
    tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, constraint_id: str, ovn: str | None,
    volumes: list[Volume4D], uss_base_url: str,
) -> tuple[ConstraintRecord, list[dict[str, Any]]]:
    """Create (ovn None) or update; returns the record and the subscribers to notify."""
    check_future(volumes, now, timedelta(days=cfg.constraint_horizon_days), "extents")
    if ovn is None:
        if tx.get_f3548_constraint(constraint_id) is not None:
            raise InvalidState(f"constraint {constraint_id} already exists", field="entityid")
        previous: list[Volume4D] = []
        version = 1
    else:
        old = _owned(tx, cfg, uss, constraint_id, ovn)
        previous, version = old.volumes, old.version + 1
    record = ConstraintRecord(
        id=constraint_id, agreement_id=cfg.agreement_id, manager=uss, version=version, ovn=new_version(),
        uss_base_url=uss_base_url, volumes=volumes,
    )
    tx.put_f3548_constraint(record)
    audit.record(tx, uss, "f3548.constraint." + ("created" if ovn is None else "updated"), record.id, {"version": version}, now)
    return record, notify(tx, cfg, [*previous, *volumes], "constraints")


def delete(tx: Transaction, cfg: F3548Config, *, uss: str, now: datetime, constraint_id: str, ovn: str) -> tuple[ConstraintRecord, list[dict[str, Any]]]:
    record = _owned(tx, cfg, uss, constraint_id, ovn)
    tx.delete_f3548_constraint(record.id)
    audit.record(tx, uss, "f3548.constraint.deleted", record.id, {"version": record.version}, now)
    return record, notify(tx, cfg, record.volumes, "constraints")
