"""Stores: the protocol every backend implements, and the embedded SQLite default."""

from .base import Store, Transaction, connection_lost, is_busy, is_retryable, outcome_unknown, run_in_transaction
from .sqlite import SQLiteStore


def open_store(url: str) -> Store:
    """A store from a path or URL: `sqlite:///path.db`, a plain path (SQLite), or `postgresql://…`."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore  # needs the `postgres` extra (psycopg, psycopg-pool)

        return PostgresStore(url)
    return SQLiteStore(url.removeprefix("sqlite:///").removeprefix("sqlite://"))


__all__ = [
    "SQLiteStore", "Store", "Transaction", "connection_lost", "is_busy", "is_retryable", "open_store",
    "outcome_unknown", "run_in_transaction",
]
