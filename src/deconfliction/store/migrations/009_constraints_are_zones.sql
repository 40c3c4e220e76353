-- F3548 constraint references are the agreement's zones (one concept, one table): the step after
-- this script (store/sqlite.py MIGRATION_STEPS[9]) moves each constraint of the table set aside here
-- into `zones` and drops it. (PostgreSQL: migrations/postgres/009_constraints_are_zones.sql.)
ALTER TABLE f3548_constraints RENAME TO f3548_constraints_before_009;
