-- Zones (constraints) of an agreement: docs/data.md. The record is the body (JSON); the exact
-- geometry is checked in Python. (PostgreSQL: migrations/postgres/008_zones.sql; keep the two in step.)
-- Numbered 7, not 5: other branches of the same release add migrations 5 and 6.
CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    restriction TEXT NOT NULL,
    west REAL NOT NULL,
    east REAL NOT NULL,
    south REAL NOT NULL,
    north REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX zones_by_agreement ON zones(agreement_id, id);
CREATE INDEX zones_by_latitude ON zones(agreement_id, south, north);
