-- The ASTM F3548-21 interface (/dss/v1): what it keeps beyond notices. Times are epoch seconds.
-- (PostgreSQL: store/f3548.py F3548_SCHEMA, applied as MIGRATIONS[3]; keep the two in step.)
CREATE TABLE f3548_intents (
    notice_id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    manager TEXT NOT NULL,
    subscription_id TEXT,
    body TEXT NOT NULL
);
CREATE INDEX f3548_intents_by_subscription ON f3548_intents(subscription_id);

CREATE TABLE f3548_subscriptions (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    manager TEXT NOT NULL,
    time_start REAL NOT NULL,
    time_end REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX f3548_subscriptions_by_time ON f3548_subscriptions(agreement_id, time_end);

CREATE TABLE f3548_constraints (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    manager TEXT NOT NULL,
    time_start REAL NOT NULL,
    time_end REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX f3548_constraints_by_time ON f3548_constraints(agreement_id, time_end);

CREATE TABLE f3548_availability (
    uss_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE f3548_reports (
    id TEXT PRIMARY KEY,
    reporter TEXT NOT NULL,
    created_at REAL NOT NULL,
    body TEXT NOT NULL
);
