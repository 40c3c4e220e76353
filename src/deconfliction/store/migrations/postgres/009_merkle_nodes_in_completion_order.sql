-- The Merkle tree's subtrees keyed in the order they are completed (store/transparency.py, node_key):
-- a subtree of level L and index i, keyed i * 64 + L until now, becomes ((i + 1) << L) * 64 + L, so a
-- write's new subtrees are appended side by side. The table is append-only (006's trigger), so the
-- renumbered rows go to a new table that takes its place and its trigger.
-- (SQLite: migrations/009_merkle_nodes_in_completion_order.sql; keep the two in step.)
CREATE TABLE merkle_nodes_by_completion (
    id bigint PRIMARY KEY,
    hash bytea NOT NULL
);
INSERT INTO merkle_nodes_by_completion (id, hash)
    SELECT (((id / 64) + 1) << (id % 64)::integer) * 64 + (id % 64), hash FROM merkle_nodes ORDER BY 1;
DROP TABLE merkle_nodes;
ALTER TABLE merkle_nodes_by_completion RENAME TO merkle_nodes;
ALTER INDEX merkle_nodes_by_completion_pkey RENAME TO merkle_nodes_pkey;
CREATE TRIGGER merkle_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_append_only();
