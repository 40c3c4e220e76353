"""Stores: the protocol every backend implements, and the embedded SQLite default."""

from ..errors import DeconflictionError
from .base import Store, Transaction
from .sqlite import SQLiteStore


def open_store(url: str) -> Store:
    """A store from a path or URL: `sqlite:///path.db`, a plain path (SQLite), or `postgresql://…`."""
    if url.startswith(("postgresql://", "postgres://")):
        raise DeconflictionError(
            "this version has only the embedded SQLite store; give a file path", field="database", code="invalid_input"
        )
    return SQLiteStore(url.removeprefix("sqlite:///").removeprefix("sqlite://"))


__all__ = ["SQLiteStore", "Store", "Transaction", "open_store"]
