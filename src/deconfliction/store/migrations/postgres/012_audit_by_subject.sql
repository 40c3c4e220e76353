-- The audit entries about one subject (a notice, a conflict, a message) of the kinds the compliance
-- report cites, in log order (store/tables.py CITABLE_ACTIONS, the same list): the report finds the
-- entries behind its figures with it (rules/compliance_receipts.py), reading only those and not the
-- whole log. Partial: the entries nobody cites (a filing's conflicts, deliveries, keys…) cost a write
-- nothing here. (Twin: migrations/012_audit_by_subject.sql)
CREATE INDEX audit_by_subject ON audit(subject, seq)
    WHERE action IN ('notice.filed', 'notice.changed', 'notice.cancelled', 'notice.ended', 'notice.acknowledged', 'conflict.acknowledged', 'hotline.acknowledged', 'ack.overdue', 'hotline.escalated');
