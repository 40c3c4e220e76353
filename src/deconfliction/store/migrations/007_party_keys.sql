-- Parties' signing keys (Ed25519, rotating, revocable) and the statements they signed, one row per
-- (party, nonce): the primary key is what refuses a replayed statement (store/transparency.py).
-- (PostgreSQL: migrations/postgres/007_party_keys.sql; keep the two in step.)
CREATE TABLE party_keys (
    key_id TEXT PRIMARY KEY,
    party_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX party_keys_by_party ON party_keys (party_id);
CREATE TABLE party_statements (
    party_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    key_id TEXT NOT NULL,
    audit_seq INTEGER NOT NULL,
    PRIMARY KEY (party_id, nonce)
)
