-- Parties' signing keys and the statements they signed, one row per (party, nonce): the primary key
-- refuses a replayed statement. (SQLite: migrations/007_party_keys.sql; keep the two in step.)
CREATE TABLE party_keys (
    key_id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX party_keys_by_party ON party_keys (party_id);
CREATE TABLE party_statements (
    party_id text COLLATE "C" NOT NULL,
    nonce text COLLATE "C" NOT NULL,
    key_id text COLLATE "C" NOT NULL,
    audit_seq bigint NOT NULL,
    PRIMARY KEY (party_id, nonce)
);
