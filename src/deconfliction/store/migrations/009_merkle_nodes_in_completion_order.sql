-- The Merkle tree's subtrees keyed in the order they are completed (store/transparency.py, node_key):
-- a subtree of level L and index i, keyed i * 64 + L until now, becomes ((i + 1) << L) * 64 + L, so a
-- write's new subtrees are appended side by side (one page per write, not one per level).
-- (PostgreSQL: migrations/postgres/009_merkle_nodes_in_completion_order.sql; keep the two in step.)
CREATE TABLE merkle_nodes_by_completion (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
INSERT INTO merkle_nodes_by_completion (id, hash)
    SELECT (((id / 64) + 1) << (id % 64)) * 64 + (id % 64), hash FROM merkle_nodes ORDER BY 1;
DROP TABLE merkle_nodes;
ALTER TABLE merkle_nodes_by_completion RENAME TO merkle_nodes
