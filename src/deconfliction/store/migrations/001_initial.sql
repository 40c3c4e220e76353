CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE parties (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE memberships (
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    party_id TEXT NOT NULL,
    PRIMARY KEY (agreement_id, party_id)
);
CREATE INDEX memberships_by_party ON memberships(party_id);

-- box_count boxes are indexed for a live notice, with ids rowid * 32768 + k.
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    party_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version TEXT NOT NULL,
    time_start REAL NOT NULL,
    time_end REAL NOT NULL,
    filed_at TEXT NOT NULL,
    box_count INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
CREATE INDEX notices_by_party ON notices(party_id, id);
CREATE INDEX notices_by_agreement ON notices(agreement_id, id);
CREATE INDEX notices_by_end ON notices(state, time_end);

CREATE VIRTUAL TABLE notice_boxes USING rtree(
    id,
    min_lon, max_lon,
    min_lat, max_lat,
    min_alt, max_alt,
    min_t, max_t
);

CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    notice_a TEXT NOT NULL,
    notice_b TEXT NOT NULL,
    party_a TEXT NOT NULL,
    party_b TEXT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX conflicts_by_notice_a ON conflicts(notice_a, state);
CREATE INDEX conflicts_by_notice_b ON conflicts(notice_b, state);
CREATE INDEX conflicts_by_party_a ON conflicts(party_a, state);
CREATE INDEX conflicts_by_party_b ON conflicts(party_b, state);
CREATE INDEX conflicts_by_agreement ON conflicts(agreement_id, state);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    party_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX events_by_party ON events(party_id, seq);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    party_id TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE INDEX credentials_by_party ON credentials(party_id);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    party_id TEXT NOT NULL,
    agreement_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX subscriptions_by_agreement ON subscriptions(agreement_id, party_id);

CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    party_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX endpoints_by_party ON endpoints(party_id);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    party_id TEXT NOT NULL,
    state TEXT NOT NULL,
    next_attempt_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_by_party ON deliveries(party_id, state, id);

CREATE TABLE deadlines (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    agreement_id TEXT NOT NULL,
    party_id TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at REAL NOT NULL,
    created_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX deadlines_by_subject ON deadlines(subject_id, party_id);
CREATE INDEX deadlines_due ON deadlines(state, due_at);
CREATE INDEX deadlines_by_agreement ON deadlines(agreement_id, created_at);

-- Append-only: nothing in the program updates or deletes these rows.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
