-- Idempotency keys of writes: reserved in the transaction of the write they guard (so a retried
-- request whose write committed is never applied twice), the reply recorded right after it.
-- (PostgreSQL: store/idempotency.py, POSTGRES_MIGRATION)
CREATE TABLE idempotency_keys (
    caller text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    nonce text NOT NULL,
    created_at text NOT NULL,
    status integer,
    reply text,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)
