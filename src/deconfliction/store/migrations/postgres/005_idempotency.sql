-- Idempotency keys of writes: reserved in the transaction of the write they guard, the reply recorded
-- right after it (rules/idempotency.py). (SQLite: migrations/005_idempotency.sql)
CREATE TABLE idempotency_keys (
    caller text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    request_hash text NOT NULL,
    nonce text NOT NULL,
    created_at timestamptz NOT NULL,
    status integer,
    reply text,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
