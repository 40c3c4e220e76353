-- Zones (constraints) of an agreement: docs/data.md. The record is the body (JSON) with its footprint's
-- longitude/latitude box for the coarse search; the exact geometry is checked in Python.
-- (SQLite: migrations/008_zones.sql.)
CREATE TABLE zones (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    identifier text NOT NULL,
    restriction text NOT NULL,
    west double precision NOT NULL,
    east double precision NOT NULL,
    south double precision NOT NULL,
    north double precision NOT NULL,
    body text NOT NULL
);
CREATE INDEX zones_by_agreement ON zones (agreement_id, id);
CREATE INDEX zones_by_latitude ON zones (agreement_id, south, north);
