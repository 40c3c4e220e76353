"""The store's part of zones: one mixin for both stores (the SQL is the same but for the parameter
mark), and the PostgreSQL schema (SQLite's is migrations/007_zones.sql).

An agreement's zones are read whole for each filing's check: an agreement holds its region's
zones (hundreds to a few thousand), and the check narrows them by bounding boxes before any exact
geometry (zones/check.py)."""

from __future__ import annotations

from typing import Any, Protocol

from ..zones.model import Zone

TRUSTED = {"trusted": True}  # stored geometry was validated when it was written

ZONES_SCHEMA = """
CREATE TABLE zones (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    identifier text NOT NULL,
    restriction text NOT NULL,
    body text NOT NULL
);
CREATE INDEX zones_by_agreement ON zones (agreement_id, id);
"""


class ZoneTransaction(Protocol):
    def put_zone(self, zone: Zone) -> None: ...
    def get_zone(self, zone_id: str) -> Zone | None: ...
    def delete_zone(self, zone_id: str) -> None: ...
    def zones_of(self, agreement_id: str) -> list[Zone]: ...


class ZoneTables:
    """Mixed into SQLiteTransaction (mark '?') and PostgresTransaction (mark '%s'); needs `self.db`
    and `self.MARK`."""

    def _zone_sql(self, sql: str, params: tuple = ()) -> Any:
        return self.db.execute(sql.replace("?", getattr(self, "MARK", "?")), params)

    def put_zone(self, zone: Zone) -> None:
        self._zone_sql(
            "INSERT INTO zones (id, agreement_id, identifier, restriction, body) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET agreement_id = excluded.agreement_id, identifier = excluded.identifier, "
            "restriction = excluded.restriction, body = excluded.body",
            (zone.id, zone.agreement_id, zone.identifier, zone.restriction, zone.model_dump_json()),
        )

    def get_zone(self, zone_id: str) -> Zone | None:
        row = self._zone_sql("SELECT body FROM zones WHERE id = ?", (zone_id,)).fetchone()
        return Zone.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_zone(self, zone_id: str) -> None:
        self._zone_sql("DELETE FROM zones WHERE id = ?", (zone_id,))

    def zones_of(self, agreement_id: str) -> list[Zone]:
        rows = self._zone_sql("SELECT body FROM zones WHERE agreement_id = ? ORDER BY id", (agreement_id,)).fetchall()
        return [Zone.model_validate_json(body, context=TRUSTED) for (body,) in rows]
