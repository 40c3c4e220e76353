-- The F3548 interface's tables (SQLite: ../003_f3548.sql).
CREATE TABLE f3548_intents (
    notice_id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    manager text COLLATE "C" NOT NULL,
    subscription_id text COLLATE "C",
    body text NOT NULL
);
CREATE INDEX f3548_intents_by_subscription ON f3548_intents (subscription_id);

CREATE TABLE f3548_subscriptions (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    manager text COLLATE "C" NOT NULL,
    time_start double precision NOT NULL,
    time_end double precision NOT NULL,
    body text NOT NULL
);
CREATE INDEX f3548_subscriptions_by_time ON f3548_subscriptions (agreement_id, time_end);

CREATE TABLE f3548_constraints (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    manager text COLLATE "C" NOT NULL,
    time_start double precision NOT NULL,
    time_end double precision NOT NULL,
    body text NOT NULL
);
CREATE INDEX f3548_constraints_by_time ON f3548_constraints (agreement_id, time_end);

CREATE TABLE f3548_availability (
    uss_id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);

CREATE TABLE f3548_reports (
    id text COLLATE "C" PRIMARY KEY,
    reporter text COLLATE "C" NOT NULL,
    created_at double precision NOT NULL,
    body text NOT NULL
);
