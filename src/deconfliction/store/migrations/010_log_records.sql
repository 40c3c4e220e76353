-- The transparency log's records in one table, in the order they are made (store/transparency.py): the
-- subtrees each leaf completes, then the head signed over a write's leaves. A subtree of level L and
-- index i (keyed i * 64 + L in merkle_nodes) becomes ((i + 1) << L) * 64 + L, the head of size s
-- (tree_heads) s * 64 + 63: a write's new rows are the largest ids so far, side by side, and its
-- commit writes one page of the log where it wrote one per level and one for the heads.
-- (PostgreSQL: migrations/postgres/010_log_records.sql; keep the two in step.)
CREATE TABLE log_records (
    id INTEGER PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO log_records (id, value)
    SELECT (((id / 64) + 1) << (id % 64)) * 64 + (id % 64), hash FROM merkle_nodes
    UNION ALL
    SELECT size * 64 + 63, CAST(body AS BLOB) FROM tree_heads
    ORDER BY 1;
DROP TABLE merkle_nodes;
DROP TABLE tree_heads
