-- The F3548 subscriptions' 4-D index, built as notice_volumes is (one row per volume, same margins);
-- subscriptions stored before it are indexed right after, in the same transaction (postgres.py: MIGRATION_STEPS).
-- (SQLite: migrations/004_f3548_subscription_index.sql)
CREATE TABLE f3548_subscription_volumes (
    subscription_id text COLLATE "C" NOT NULL REFERENCES f3548_subscriptions(id) ON DELETE CASCADE,
    k integer NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    footprint geography(Polygon, 4326) NOT NULL,
    altitude numrange NOT NULL,
    during tstzrange NOT NULL,
    PRIMARY KEY (subscription_id, k)
);
CREATE INDEX f3548_subscription_volumes_search ON f3548_subscription_volumes USING gist (footprint, during, altitude);
