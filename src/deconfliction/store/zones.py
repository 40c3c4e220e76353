"""The store's part of zones, written once for both stores (store/sql.py's marks); the schema is
migrations/008_zones.sql and migrations/postgres/008_zones.sql.

Each zone row carries its footprint's longitude/latitude box (the whole circle of longitudes when
it crosses the antimeridian or nears a pole), so that a filing reads only the zones whose boxes meet
its volumes' search boxes; the exact geometry is decided in Python (rules/zones.py)."""

from __future__ import annotations

from typing import Any, Protocol

from ..models.zones import Zone

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

    def zones_of(self, agreement_id: str) -> list[Zone]:
        rows = self._zone_sql("SELECT body FROM zones WHERE agreement_id = ? ORDER BY id", (agreement_id,)).fetchall()
        return [Zone.model_validate_json(body, context=TRUSTED) for (body,) in rows]
