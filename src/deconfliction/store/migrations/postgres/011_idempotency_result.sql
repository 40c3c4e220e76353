-- The result of the write a key guards, kept in the write's own transaction (rules/idempotency.py):
-- a retry after a crash between the commit and the recorded reply is answered from it, where it
-- used to get 409 in_progress until the key expired. (SQLite: migrations/011_idempotency_result.sql)
ALTER TABLE idempotency_keys ADD COLUMN result bytea;
