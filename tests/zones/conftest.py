"""The store contract's `any_store` (SQLite and PostgreSQL + PostGIS) for the zone tests."""

from store.conftest import _stop_postgres_at_end, any_store  # noqa: F401
