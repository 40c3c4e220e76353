-- PostgreSQL + PostGIS: the first schema (SQLite: ../001_initial.sql).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE deconfliction_schema (version integer NOT NULL);

CREATE TABLE agreements (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE parties (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);

CREATE TABLE memberships (
    agreement_id text COLLATE "C" NOT NULL REFERENCES agreements(id),
    party_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (agreement_id, party_id)
);
CREATE INDEX memberships_by_party ON memberships (party_id);

CREATE TABLE notices (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL REFERENCES agreements(id),
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    version text NOT NULL,
    time_start timestamptz NOT NULL,
    time_end timestamptz NOT NULL,
    filed_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX notices_by_party ON notices (party_id, id);
CREATE INDEX notices_by_agreement ON notices (agreement_id, id);
CREATE INDEX notices_by_end ON notices (state, time_end);
CREATE INDEX notices_by_filing ON notices (filed_at);

-- One row per volume of a live notice (only live notices take part in conflict checks).
-- footprint: a polygon that contains the volume's footprint (see postgres.py for how it is built);
-- altitude: the band above the WGS84 ellipsoid (widened by the geoid's range for AMSL bands);
-- during: the time window, closed at both ends (errs outward).
CREATE TABLE notice_volumes (
    notice_id text COLLATE "C" NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
    k integer NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    footprint geography(Polygon, 4326) NOT NULL,
    altitude numrange NOT NULL,
    during tstzrange NOT NULL,
    PRIMARY KEY (notice_id, k)
);
CREATE INDEX notice_volumes_search ON notice_volumes USING gist (footprint, during, altitude);

CREATE TABLE conflicts (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    notice_a text COLLATE "C" NOT NULL,
    notice_b text COLLATE "C" NOT NULL,
    party_a text COLLATE "C" NOT NULL,
    party_b text COLLATE "C" NOT NULL,
    state text NOT NULL,
    body text NOT NULL
);
CREATE INDEX conflicts_by_notice_a ON conflicts (notice_a, state);
CREATE INDEX conflicts_by_notice_b ON conflicts (notice_b, state);
CREATE INDEX conflicts_by_party_a ON conflicts (party_a, state);
CREATE INDEX conflicts_by_party_b ON conflicts (party_b, state);
CREATE INDEX conflicts_by_agreement ON conflicts (agreement_id, state);

-- seq comes from events_seq, taken under an advisory lock held to commit: visible in seq order.
CREATE SEQUENCE events_seq;
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    payload text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_by_party ON events (party_id, seq);

CREATE TABLE credentials (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C",
    token_hash text NOT NULL UNIQUE,
    body text NOT NULL
);
CREATE INDEX credentials_by_party ON credentials (party_id);

CREATE TABLE subscriptions (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX subscriptions_by_agreement ON subscriptions (agreement_id, party_id);

CREATE TABLE endpoints (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    body text NOT NULL
);
CREATE INDEX endpoints_by_party ON endpoints (party_id);

CREATE TABLE deliveries (
    id text COLLATE "C" PRIMARY KEY,
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_party ON deliveries (party_id, state, id);

CREATE TABLE deadlines (
    id text COLLATE "C" PRIMARY KEY,
    kind text NOT NULL,
    subject_id text COLLATE "C" NOT NULL,
    agreement_id text COLLATE "C" NOT NULL,
    party_id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    due_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX deadlines_by_subject ON deadlines (subject_id, party_id);
CREATE INDEX deadlines_due ON deadlines (state, due_at);
CREATE INDEX deadlines_by_agreement ON deadlines (agreement_id, created_at);

-- Append-only: the program never updates or deletes these rows, and the trigger refuses it.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    payload text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
