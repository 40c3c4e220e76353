-- The F3548 subscriptions' 4-D index, as notices have (001): boxes in (lon, lat, altitude, time) from
-- geometry/bounds.py, box_count boxes per subscription with ids rowid * 32768 + k. It only narrows the
-- candidates; the exact check decides. Subscriptions stored before this migration are indexed by the
-- store right after these statements, in the same transaction (sqlite.py, MIGRATION_STEPS).
-- (PostgreSQL: MIGRATIONS[4] in postgres.py; keep the two in step.)
ALTER TABLE f3548_subscriptions ADD COLUMN box_count INTEGER NOT NULL DEFAULT 0;

CREATE VIRTUAL TABLE f3548_subscription_boxes USING rtree(
    id,
    min_lon, max_lon,
    min_lat, max_lat,
    min_alt, max_alt,
    min_t, max_t
);
