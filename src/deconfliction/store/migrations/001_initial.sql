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
    box_count INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL
);
CREATE INDEX notices_by_party ON notices(party_id, id);
CREATE INDEX notices_by_agreement ON notices(agreement_id, id);

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
