"""One INSERT for many rows: `INSERT … VALUES (?, ?), (?, ?), …` instead of one statement per row.

On PostgreSQL every statement costs the server its own bind, execute and bookkeeping, and psycopg its
own Python work, whatever its size: a filing that stores three events, three deadlines and a few log
records paid for each row. The SQL layer writes its inserts once, for one row (`?` marks, store/sql.py);
this repeats the row of such a statement `n` times, so a backend can send the rows of one call in one
statement. Only statements whose marks are all inside the one VALUES row are repeated.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Sequence

_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)
_UPDATES_ON_CONFLICT = re.compile(r"\bON\s+CONFLICT\b.*\bDO\s+UPDATE\b", re.IGNORECASE | re.DOTALL)

# Rows per statement: a statement's text is prepared once per row count, so counts stay few and
# small; PostgreSQL takes at most 65,535 parameters per statement.
MAX_ROWS = 64


@lru_cache(maxsize=1024)
def _split(sql: str) -> tuple[str, str, str] | None:
    """(before the row, the row's parenthesised values, after it), or None if the statement's marks
    are not all inside one VALUES row."""
    found = _VALUES.search(sql)
    if found is None:
        return None
    start, depth = found.end() - 1, 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
    else:
        return None
    head, row, tail = sql[:start], sql[start : end + 1], sql[end + 1 :]
    if "?" in head or "?" in tail:
        return None
    return head, row, tail


@lru_cache(maxsize=1024)
def repeated(sql: str, n: int) -> str | None:
    """`sql` with its VALUES row written `n` times, or None if it cannot be (see `_split`)."""
    parts = _split(sql)
    if parts is None:
        return None
    head, row, tail = parts
    return head + ", ".join([row] * n) + tail


def batches(sql: str, rows: Sequence[Sequence[Any]]) -> list[tuple[str, list[Any]]] | None:
    """(statement, flat parameters) covering every row, at most MAX_ROWS rows each, or None when the
    rows must go one statement each: the statement cannot be repeated, or it is an upsert that would
    update the same key twice (`ON CONFLICT … DO UPDATE` refuses to touch a row twice in one statement;
    the key is the first column, as Sql._upsert_many writes it)."""
    if _split(sql) is None:
        return None
    if _UPDATES_ON_CONFLICT.search(sql) and len({row[0] for row in rows}) < len(rows):
        return None
    out = []
    for k in range(0, len(rows), MAX_ROWS):
        chunk = rows[k : k + MAX_ROWS]
        out.append((repeated(sql, len(chunk)), [value for row in chunk for value in row]))
    return out
