-- The transparency log over the audit entries (store/transparency.py): the Merkle tree's complete
-- subtrees, the signed tree heads given out, and the keys they were signed with; append-only. The tree
-- over entries stored before is built right after, in the same transaction (postgres.py, MIGRATION_STEPS).
-- (SQLite: migrations/006_transparency.sql; keep the two in step.)
CREATE TABLE merkle_nodes (
    id bigint PRIMARY KEY,
    hash bytea NOT NULL
);
CREATE TABLE tree_heads (
    size bigint PRIMARY KEY,
    body text NOT NULL
);
CREATE TABLE log_keys (
    key_id text COLLATE "C" PRIMARY KEY,
    public_key text NOT NULL,
    first_used timestamptz NOT NULL
);
CREATE FUNCTION transparency_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the transparency log is append-only';
END $$;
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_append_only();
CREATE TRIGGER tree_heads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON tree_heads
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_append_only();
