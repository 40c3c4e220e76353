"""The store's part of zones, written once for both stores (store/sql.py's marks); the schema is
migrations/008_zones.sql and migrations/postgres/008_zones.sql.

Each zone row carries its footprint's longitude/latitude box (the whole circle of longitudes when
it crosses the antimeridian or nears a pole), so that a filing reads only the zones whose boxes meet
its volumes' search boxes; the exact geometry is decided in Python (rules/zones.py)."""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

from ..geometry import Volume4D
from ..models.zones import Zone, constraint_zone, v4_shaped

TRUSTED = {"trusted": True}  # stored geometry was validated when it was written



class ZoneTransaction(Protocol):
    def put_zone(self, zone: Zone) -> None: ...
    def get_zone(self, zone_id: str) -> Zone | None: ...
    def delete_zone(self, zone_id: str) -> None: ...
    def zones_of(self, agreement_id: str) -> list[Zone]: ...
    def zones_near(self, agreement_id: str, boxes: list) -> list[Zone]: ...


class ZoneTables:
    """Mixed into SqlTransaction (store/tables.py), which gives `_run` with the backend's marks."""

    def _zone_sql(self, sql: str, params: tuple = ()) -> Any:
        return self._run(sql, params)

    def put_zone(self, zone: Zone) -> None:
        west, east, south, north = zone.extent()
        self._zone_sql(
            "INSERT INTO zones (id, agreement_id, identifier, restriction, west, east, south, north, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET agreement_id = excluded.agreement_id, identifier = excluded.identifier, "
            "restriction = excluded.restriction, west = excluded.west, east = excluded.east, south = excluded.south, "
            "north = excluded.north, body = excluded.body",
            (zone.id, zone.agreement_id, zone.identifier, zone.restriction, west, east, south, north, zone.model_dump_json()),
        )

    def zones_near(self, agreement_id: str, boxes: list) -> list[Zone]:
        """Every zone whose box meets one of the boxes (geometry.Box), by id: never fewer than the
        exact check would find, perhaps more."""
        found: dict[str, Zone] = {}
        for box in boxes:
            rows = self._zone_sql(
                "SELECT id, body FROM zones WHERE agreement_id = ? AND south <= ? AND north >= ? AND west <= ? AND east >= ?",
                (agreement_id, box.max_lat, box.min_lat, box.max_lon, box.min_lon),
            ).fetchall()
            for zone_id, body in rows:
                if zone_id not in found:
                    found[zone_id] = Zone.model_validate_json(body, context=TRUSTED)
        return [found[k] for k in sorted(found)]

    def get_zone(self, zone_id: str) -> Zone | None:
        row = self._zone_sql("SELECT body FROM zones WHERE id = ?", (zone_id,)).fetchone()
        return Zone.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_zone(self, zone_id: str) -> None:
        self._zone_sql("DELETE FROM zones WHERE id = ?", (zone_id,))

    def zones_of_every_agreement(self) -> list[Zone]:
        return [Zone.model_validate_json(body, context=TRUSTED) for (body,) in self._zone_sql("SELECT body FROM zones ORDER BY id").fetchall()]

    def zones_of(self, agreement_id: str) -> list[Zone]:
        rows = self._zone_sql("SELECT body FROM zones WHERE agreement_id = ? ORDER BY id", (agreement_id,)).fetchall()
        return [Zone.model_validate_json(body, context=TRUSTED) for (body,) in rows]


def move_constraints_to_zones(tx: "ZoneTables") -> None:
    """Migration 009: each F3548 constraint of an earlier release becomes its agreement's zone, with
    its id, manager, version, OVN, base URL and volumes; then the old table goes."""
    rows = tx._zone_sql("SELECT body FROM f3548_constraints_before_009 ORDER BY id").fetchall()
    for (body,) in rows:
        old = json.loads(body)
        tx.put_zone(constraint_zone(
            zone_id=old["id"], agreement_id=old["agreement_id"], manager=old["manager"], version=int(old.get("version", 1)),
            ovn=old["ovn"], uss_base_url=old["uss_base_url"], created_at=None,
            volumes=[Volume4D.model_validate(v, context=TRUSTED) for v in old["volumes"]],
        ))
    tx._zone_sql("DROP TABLE f3548_constraints_before_009")
    for zone in tx.zones_of_every_agreement():
        if zone.manager:
            continue
        # Zones imported before 009 get the OVN every reference has, and an id shaped as F3548's.
        renamed = zone.model_copy(update={"id": v4_shaped(zone.id), "ovn": zone.ovn or secrets.token_urlsafe(12)})
        if renamed.id != zone.id:
            tx.delete_zone(zone.id)
        tx.put_zone(renamed)
