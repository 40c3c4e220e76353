-- Hotline messages (immutable once sent) and who they were sent to.
CREATE TABLE hotline_messages (
    id text COLLATE "C" PRIMARY KEY,
    agreement_id text COLLATE "C" NOT NULL,
    sender text COLLATE "C",
    kind text NOT NULL,
    thread_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    body text NOT NULL
);
CREATE INDEX hotline_by_thread ON hotline_messages (thread_id, created_at);
CREATE INDEX hotline_by_agreement ON hotline_messages (agreement_id, kind, created_at);
CREATE TABLE hotline_recipients (
    party_id text COLLATE "C" NOT NULL,
    message_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (party_id, message_id)
);
-- When an overdue deadline escalates next (hotline messages escalate until acknowledged).
ALTER TABLE deadlines ADD COLUMN escalate_at timestamptz;
CREATE INDEX deadlines_escalation ON deadlines (state, escalate_at);
