"""The store's part of zones: one mixin for both stores (the SQL is the same but for the parameter
mark), and the PostgreSQL schema (SQLite's is migrations/007_zones.sql).

Each zone row carries its footprint's longitude/latitude box (the whole circle of longitudes when
it crosses the antimeridian or nears a pole), so that a filing reads only the zones whose boxes meet
its volumes' search boxes; the exact geometry is decided in Python (rules/zones.py)."""

from __future__ import annotations

from typing import Any, Protocol

from ..models.zones import Zone

TRUSTED = {"trusted": True}  # stored geometry was validated when it was written

ZONES_SCHEMA = """
CREATE TABLE zones (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    identifier text NOT NULL,
    restriction text NOT NULL,
    west double precision NOT NULL,
    east double precision NOT NULL,
    south double precision NOT NULL,
    north double precision NOT NULL,
    body text NOT NULL
);
CREATE INDEX zones_by_agreement ON zones (agreement_id, id);
CREATE INDEX zones_by_latitude ON zones (agreement_id, south, north);
"""


class ZoneTransaction(Protocol):
    def put_zone(self, zone: Zone) -> None: ...
    def get_zone(self, zone_id: str) -> Zone | None: ...
    def delete_zone(self, zone_id: str) -> None: ...
    def zones_of(self, agreement_id: str) -> list[Zone]: ...
    def zones_near(self, agreement_id: str, boxes: list) -> list[Zone]: ...


class ZoneTables:
    """Mixed into SQLiteTransaction (mark '?') and PostgresTransaction (mark '%s'); needs `self.db`
    and `self.MARK`."""

    def _zone_sql(self, sql: str, params: tuple = ()) -> Any:
        return self.db.execute(sql.replace("?", getattr(self, "MARK", "?")), params)

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
