"""Every list answers `{"items": [...], "next": cursor | null}`: pass `next` back as `after` for the
following page; null means there was nothing more when the page was read. `limit` is 1..1000."""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


def Limit(default: int = DEFAULT_LIMIT) -> Any:  # noqa: N802 - a FastAPI parameter declaration
    return Query(default, ge=1, le=MAX_LIMIT, description=f"items per page (1..{MAX_LIMIT})")


def After(description: str = "cursor: the `next` of the previous page") -> Any:  # noqa: N802
    return Query(None, max_length=200, description=description)


def page(rows: Sequence[Any], limit: int, cursor: Callable[[Any], Any], dump: Callable[[Any], Any] = lambda r: r.model_dump(mode="json")) -> dict:
    """A page from `limit + 1` rows fetched in cursor order: the extra row only says there is more."""
    shown = list(rows[:limit])
    more = len(rows) > limit
    return {"items": [dump(r) for r in shown], "next": str(cursor(shown[-1])) if more and shown else None}


def window(rows: Iterable[Any], after: str | None, limit: int, key: Callable[[Any], str] = lambda r: r.id) -> list[Any]:
    """For sources that do not paginate themselves: sorted by key, after the cursor, limit + 1 rows."""
    ordered = sorted(rows, key=key)
    if after is not None:
        ordered = [r for r in ordered if key(r) > after]
    return ordered[: limit + 1]
