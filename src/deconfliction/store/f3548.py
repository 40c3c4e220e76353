"""The store's part of the F3548 interface: its protocol, and one mixin of its tables for both stores
(the SQL is the same but for the parameter mark; the schema is migrations/003_f3548.sql and
migrations/postgres/003_f3548.sql).

Subscriptions are searched through a 4-D index of their own (migration 004), kept by each backend as
it keeps the notices' (SQLite: R*Tree boxes; PostgreSQL: geography + GiST): every intent write asks
which subscriptions it touches, and there is one per intent; the index only narrows, the exact
geometry is decided in Python. Constraint references are the agreement's zones (store/zones.py;
migration 009 moved the constraints of earlier releases there)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from ..geometry import Minima, Volume4D
from ..models.f3548 import DssReport, IntentRecord, SubscriptionRecord, UssAvailability
from .sql import TRUSTED, Sql

class F3548Transaction(Protocol):
    def put_f3548_intent(self, record: IntentRecord) -> None: ...
    def get_f3548_intent(self, notice_id: str) -> IntentRecord | None: ...
    def delete_f3548_intent(self, notice_id: str) -> None: ...
    def f3548_intents_using(self, subscription_id: str) -> list[IntentRecord]: ...

    def put_f3548_subscription(self, record: SubscriptionRecord) -> None: ...
    def get_f3548_subscription(self, subscription_id: str) -> SubscriptionRecord | None: ...
    def delete_f3548_subscription(self, subscription_id: str) -> None: ...
    def f3548_subscriptions(
        self, agreement_id: str, start: datetime, end: datetime, manager: str | None = None
    ) -> list[SubscriptionRecord]: ...
    def f3548_subscriptions_near(
        self, agreement_id: str, volumes: Sequence[Volume4D], minima: Minima, manager: str | None = None
    ) -> list[SubscriptionRecord]:
        """Candidates from the 4-D index: every subscription that may come within the minima of one of
        the volumes (never fewer; perhaps more), within the volumes' overall time span as
        `f3548_subscriptions` takes it, ordered by id. The caller checks the geometry exactly."""
        ...

    def get_uss_availability(self, uss_id: str) -> UssAvailability | None: ...
    def put_uss_availability(self, record: UssAvailability) -> None: ...

    def put_dss_report(self, report: DssReport) -> None: ...
    def dss_reports(self, limit: int = 100) -> list[DssReport]: ...


class F3548Tables(Sql):
    """Part of every store's transaction (store/tables.py); needs from the backend the subscription
    index: `_index_f3548_subscription(record)` (after the row is written), `_unindex_f3548_subscription(id)`
    (before it is deleted) and `f3548_subscriptions_near`."""

    # Operational intents (the notice itself is in `notices`) ------------------------------------
    def put_f3548_intent(self, record: IntentRecord) -> None:
        self._upsert("f3548_intents", "notice_id", {
            "notice_id": record.notice_id, "agreement_id": record.agreement_id, "manager": record.manager,
            "subscription_id": record.subscription_id, "body": record.model_dump_json(),
        })

    def get_f3548_intent(self, notice_id: str) -> IntentRecord | None:
        row = self._run("SELECT body FROM f3548_intents WHERE notice_id = ?", (notice_id,)).fetchone()
        return IntentRecord.model_validate_json(row[0]) if row else None

    def delete_f3548_intent(self, notice_id: str) -> None:
        self._run("DELETE FROM f3548_intents WHERE notice_id = ?", (notice_id,))

    def f3548_intents_using(self, subscription_id: str) -> list[IntentRecord]:
        rows = self._run("SELECT body FROM f3548_intents WHERE subscription_id = ? ORDER BY notice_id", (subscription_id,)).fetchall()
        return [IntentRecord.model_validate_json(r[0]) for r in rows]

    # Subscriptions ---------------------------------------------------------------------------------
    def put_f3548_subscription(self, record: SubscriptionRecord) -> None:
        self._upsert("f3548_subscriptions", "id", {
            "id": record.id, "agreement_id": record.agreement_id, "manager": record.manager,
            "time_start": record.time_start.timestamp(), "time_end": record.time_end.timestamp(), "body": record.model_dump_json(),
        })
        self._index_f3548_subscription(record)

    def get_f3548_subscription(self, subscription_id: str) -> SubscriptionRecord | None:
        row = self._run("SELECT body FROM f3548_subscriptions WHERE id = ?", (subscription_id,)).fetchone()
        return SubscriptionRecord.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_f3548_subscription(self, subscription_id: str) -> None:
        self._unindex_f3548_subscription(subscription_id)
        self._run("DELETE FROM f3548_subscriptions WHERE id = ?", (subscription_id,))

    def f3548_subscriptions(self, agreement_id: str, start: datetime, end: datetime, manager: str | None = None) -> list[SubscriptionRecord]:
        """Subscriptions whose time span overlaps [start, end), wherever they are (a scan of those hours:
        `f3548_subscriptions_near` is the search; this lists, and is its reference in the tests)."""
        sql = "SELECT body FROM f3548_subscriptions WHERE agreement_id = ? AND time_end > ? AND time_start < ?"
        params: tuple = (agreement_id, start.timestamp(), end.timestamp())
        if manager is not None:
            sql, params = sql + " AND manager = ?", (*params, manager)
        rows = self._run(sql + " ORDER BY id", params).fetchall()
        return [SubscriptionRecord.model_validate_json(r[0], context=TRUSTED) for r in rows]

    # USS availability and reports ----------------------------------------------------------------------
    def get_uss_availability(self, uss_id: str) -> UssAvailability | None:
        row = self._run("SELECT body FROM f3548_availability WHERE uss_id = ?", (uss_id,)).fetchone()
        return UssAvailability.model_validate_json(row[0]) if row else None

    def put_uss_availability(self, record: UssAvailability) -> None:
        self._upsert("f3548_availability", "uss_id", {"uss_id": record.uss_id, "body": record.model_dump_json()})

    def put_dss_report(self, report: DssReport) -> None:
        self._run(
            "INSERT INTO f3548_reports (id, reporter, created_at, body) VALUES (?, ?, ?, ?)",
            (report.id, report.reporter, report.created_at.timestamp(), report.model_dump_json()),
        )

    def dss_reports(self, limit: int = 100) -> list[DssReport]:
        rows = self._run("SELECT body FROM f3548_reports ORDER BY created_at, id LIMIT ?", (limit,)).fetchall()
        return [DssReport.model_validate_json(r[0]) for r in rows]
