-- The audit entries about one subject (a notice, a conflict, a message), in log order: the compliance
-- report finds the entries behind its figures with it (rules/compliance_receipts.py), reading only
-- those entries and not the whole log. (SQLite: migrations/012_audit_by_subject.sql)
CREATE INDEX audit_by_subject ON audit(subject, seq);
