-- Nothing to do on SQLite: the change counters of migrations/postgres/014_table_changes.sql serve the
-- PostgreSQL store's remembered reads (store/remembered.py); SQLite reads in process, at no round trip.
-- Numbered here too, so that both stores' schemas keep one numbering.
SELECT 1;
