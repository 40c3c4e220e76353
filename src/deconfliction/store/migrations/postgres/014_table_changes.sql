-- A change counter for each table whose rows a PostgreSQL write answers from memory (store/remembered.py):
-- agreements, memberships, parties, zones, subscriptions, credentials, endpoints. A trigger counts every
-- row written (cascades included) and every TRUNCATE, in the writing transaction. A group of writes reads
-- the counters with its first answer, in its own snapshot; a question remembered at the same counters has
-- the same rows in that snapshot and is not sent at all (it was sent, and compared before COMMIT, each time).
-- Reading the counter row also makes SERIALIZABLE see a concurrent writer of the table.
-- (Twin: migrations/014_table_changes.sql, which has nothing to do on SQLite.)
CREATE TABLE table_changes (
    name text COLLATE "C" PRIMARY KEY,
    changes bigint NOT NULL DEFAULT 0
);

INSERT INTO table_changes (name)
VALUES ('agreements'), ('memberships'), ('parties'), ('zones'), ('subscriptions'), ('credentials'), ('endpoints');

CREATE FUNCTION count_table_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_changes SET changes = changes + 1 WHERE name = TG_TABLE_NAME;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    counted text;
BEGIN
    FOR counted IN SELECT name FROM table_changes LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION count_table_change()',
                       counted || '_changed', counted);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION count_table_change()',
                       counted || '_truncated', counted);
    END LOOP;
END
$$;
