-- Hotline messages (immutable once sent) and who they were sent to.
CREATE TABLE hotline_messages (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    sender TEXT,
    kind TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX hotline_by_thread ON hotline_messages(thread_id, created_at);
CREATE INDEX hotline_by_agreement ON hotline_messages(agreement_id, kind, created_at);

CREATE TABLE hotline_recipients (
    party_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (party_id, message_id)
);

-- When an overdue deadline escalates next (hotline messages escalate until acknowledged).
ALTER TABLE deadlines ADD COLUMN escalate_at REAL;
CREATE INDEX deadlines_escalation ON deadlines(state, escalate_at);
