-- The transparency log's records in one table, in the order they are made (store/transparency.py): the
-- subtrees each leaf completes, then the head signed over a write's leaves. A subtree of level L and
-- index i (keyed i * 64 + L in merkle_nodes) becomes ((i + 1) << L) * 64 + L, the head of size s
-- (tree_heads) s * 64 + 63: a write's new rows are the largest ids so far, side by side. Append-only,
-- as the tables it replaces (006's trigger function).
-- (SQLite: migrations/010_log_records.sql; keep the two in step.)
CREATE TABLE log_records (
    id bigint PRIMARY KEY,
    value bytea NOT NULL
);
INSERT INTO log_records (id, value)
    SELECT (((id / 64) + 1) << (id % 64)::integer) * 64 + (id % 64), hash FROM merkle_nodes
    UNION ALL
    SELECT size * 64 + 63, convert_to(body, 'UTF8') FROM tree_heads;
DROP TABLE merkle_nodes;
DROP TABLE tree_heads;
CREATE TRIGGER log_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON log_records
    FOR EACH STATEMENT EXECUTE FUNCTION transparency_append_only();
