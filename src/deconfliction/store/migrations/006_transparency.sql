-- The transparency log over the audit entries (store/transparency.py): the Merkle tree's complete
-- subtrees, the signed tree heads given out, and the keys they were signed with. The tree over the
-- entries stored before this migration is built right after these statements, in the same transaction
-- (sqlite.py, MIGRATION_STEPS). (PostgreSQL: MIGRATIONS[5] in postgres.py; keep the two in step.)
CREATE TABLE merkle_nodes (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TABLE tree_heads (
    size INTEGER PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE log_keys (
    key_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    first_used TEXT NOT NULL
)
