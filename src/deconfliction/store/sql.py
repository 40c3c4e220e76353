"""What every SQL statement of the stores is written with: `?` marks (a backend swaps in its own),
helpers to run them, one upsert, the filters of list queries, and the numbered migration files.

A backend says how it marks parameters (`MARK`), how it stores a moment (`at` for columns SQLite
keeps as ISO text, `seconds` for those it keeps as epoch seconds; PostgreSQL keeps timestamptz for
both) and how it runs a statement for many rows (`_many`). Moments read back come through `moment`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources
from operator import itemgetter
from typing import Any, Iterable, Sequence

TRUSTED = {"trusted": True}  # stored geometry was validated when it was written


def migrations(folder: str = "migrations") -> list[tuple[int, str]]:
    """(number, script) of the NNN_name.sql files in `folder` (under the store package), in order."""
    found = []
    for entry in (resources.files("deconfliction.store") / folder).iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text()))
    return sorted(found)


def moment(value: str | datetime) -> datetime:
    """A moment as stored (ISO text in SQLite, timestamptz in PostgreSQL), in UTC."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value.astimezone(timezone.utc)


class Sql:
    """Runs `?`-marked statements on `self.db` (a DB-API connection), whatever the backend's mark."""

    MARK = "?"

    db: Any

    @staticmethod
    def at(moment: datetime) -> Any:
        return moment.astimezone(timezone.utc).isoformat()

    @staticmethod
    def seconds(moment: datetime) -> Any:
        return moment.timestamp()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(sql.replace("?", self.MARK), params)

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._run(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._run(sql, params).fetchall()

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql.replace("?", self.MARK), list(rows))

    def _upsert(self, table: str, key: str, columns: dict[str, Any], update: Iterable[str] | None = None) -> None:
        """Insert a row, or update `update` (default: every column but the key) of the row with its key."""
        self._upsert_many(table, key, [columns], update)

    def _upsert_many(self, table: str, key: str, rows: Sequence[dict[str, Any]], update: Iterable[str] | None = None) -> None:
        """`_upsert` for rows that all have the same columns: one statement for them all."""
        if not rows:
            return
        names = [key, *[c for c in rows[0] if c != key]]
        changed = [c for c in names if c != key] if update is None else list(update)
        marks = ", ".join("?" * len(names))
        sql = (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in changed)}"
        )
        values = list(map(itemgetter(*names), rows)) if len(names) > 1 else [(columns[key],) for columns in rows]
        if len(values) == 1:
            self._run(sql, values[0])
        else:
            self._many(sql, values)


def marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def filters(**wanted: Any) -> tuple[list[str], list[Any]]:
    """`column = ?` for every given value (`after_id`: `id > ?`, the cursor of a page)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in wanted.items():
        if value is None:
            continue
        clauses.append("id > ?" if column == "after_id" else f"{column} = ?")
        params.append(value)
    return clauses, params
