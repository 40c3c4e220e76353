"""The store's queries, written once for both backends (store/sql.py says how they differ in marks and
time encoding). A backend adds only what truly differs: the 4-D index of live notices and F3548
subscriptions (SQLite: R*Tree boxes; PostgreSQL: geography + GiST), and how events are numbered
(PostgreSQL: in commit order, with NOTIFY) and the audit chain appended."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Sequence

from ..models import (
    LIVE_STATES, Agreement, AuditEntry, Conflict, Credential, Deadline, Delivery, Endpoint, Event, HotlineMessage, Notice, Party,
    Subscription,
)
from . import deadline_pairs, event_bodies
from .f3548 import F3548Tables
from .idempotency import IdempotencyTables
from .notice_cache import NoticeCache
from .transparency import TransparencyTables
from .zones import ZoneTables
from .sql import TRUSTED, filters, marks, moment, where
from ..transparency.canonical import Encoded, dumps

AUDIT_COLUMNS = "seq, at, actor, action, subject, payload, prev_hash, hash"
# The audit entries the compliance report may cite (rules/compliance_citations.py), indexed by subject
# (migration 12's partial index, whose condition is this one, written alike so both planners use it).
CITABLE_ACTIONS = ('notice.filed', 'notice.changed', 'notice.cancelled', 'notice.ended', 'notice.acknowledged', 'conflict.acknowledged', 'hotline.acknowledged', 'ack.overdue', 'hotline.escalated')
CITABLE = "action IN (" + ", ".join(f"'{action}'" for action in CITABLE_ACTIONS) + ")"
EVENT_COLUMNS = "seq, party_id, kind, payload, created_at"


class SqlTransaction(F3548Tables, IdempotencyTables, TransparencyTables, ZoneTables):  # store/idempotency.py, store/transparency.py, store/zones.py
    """One transaction's queries over `self.db`. Backends implement `_index_notice(notice)` (after its
    row is written), `candidate_notices`, `append_event`, and the F3548 subscription index."""

    def __init__(self, connection: Any, notices: NoticeCache | None = None):
        self.db = connection
        self.notices = notices if notices is not None else NoticeCache(0)  # the store's parsed notices (notice_cache.py)
        self.forget()

    def forget(self) -> None:
        """Drop what this transaction remembers of its reads (a store calls it when it rolls back part
        of the transaction). A write asks for the audit chain's tail and its agreement several times:
        each is read once per transaction and kept up to date by this transaction's own writes."""
        self._audit_tail: tuple[tuple[int, str] | None] | None = None  # ((seq, hash) of the chain's last entry,) once read
        self._appended: dict[int, AuditEntry] = {}  # audit entries this transaction wrote, by seq
        self._agreements: dict[str, Agreement | None] = {}
        self._credentials: dict[str | None, list[Credential]] = {}
        self._nodes_seen = {}  # of the transparency log's tree (store/transparency.py)
        self._latest_head = None  # (TreeHead | None,) once read (store/transparency.py)
        self._next_event_seq: int | None = None  # PostgreSQL: the next event's number, once known (store/postgres.py)

    # Agreements and parties ---------------------------------------------------------------
    def get_agreement(self, agreement_id: str) -> Agreement | None:
        if agreement_id not in self._agreements:
            row = self._one("SELECT body FROM agreements WHERE id = ?", (agreement_id,))
            self._agreements[agreement_id] = Agreement.model_validate_json(row[0], context=TRUSTED) if row else None
        return self._agreements[agreement_id]

    def signatures_required(self, agreement_id: str) -> bool:
        agreement = self.get_agreement(agreement_id)
        return bool(agreement and agreement.signatures_required)

    def put_agreement(self, agreement: Agreement, now: datetime) -> None:
        self._agreements.pop(agreement.id, None)
        self._upsert("agreements", "id", {
            "id": agreement.id, "body": agreement.model_dump_json(), "created_at": self.at(now), "updated_at": self.at(now),
        }, update=("body", "updated_at"))
        self._run("DELETE FROM memberships WHERE agreement_id = ?", (agreement.id,))
        self._many("INSERT INTO memberships (agreement_id, party_id) VALUES (?, ?)", [(agreement.id, p) for p in agreement.parties])

    def list_agreements(self, party_id: str | None = None) -> list[Agreement]:
        if party_id is None:
            rows = self._all("SELECT body FROM agreements ORDER BY id")
        else:
            rows = self._all(
                "SELECT a.body FROM agreements a JOIN memberships m ON m.agreement_id = a.id WHERE m.party_id = ? ORDER BY a.id",
                (party_id,),
            )
        return [Agreement.model_validate_json(r[0], context=TRUSTED) for r in rows]

    def get_party(self, party_id: str) -> Party | None:
        row = self._one("SELECT body FROM parties WHERE id = ?", (party_id,))
        return Party.model_validate_json(row[0]) if row else None

    def put_party(self, party: Party) -> None:
        self._upsert("parties", "id", {"id": party.id, "body": party.model_dump_json()})

    def list_parties(self) -> list[Party]:
        return [Party.model_validate_json(r[0]) for r in self._all("SELECT body FROM parties ORDER BY id")]

    # Notices -------------------------------------------------------------------------------
    def get_notice(self, notice_id: str) -> Notice | None:
        row = self._one("SELECT body FROM notices WHERE id = ?", (notice_id,))
        return notice_from(row[0]) if row else None

    def put_notice(self, notice: Notice) -> None:
        self._upsert("notices", "id", {
            "id": notice.id, "agreement_id": notice.agreement_id, "party_id": notice.party_id, "state": notice.state,
            "version": notice.version, "time_start": self.seconds(notice.start), "time_end": self.seconds(notice.end),
            "filed_at": self.at(notice.filed_at), "body": notice.model_dump_json(),
        })
        self._index_notice(notice)  # only live notices are indexed: the index serves conflict checks

    def _index_notice(self, notice: Notice) -> None:
        raise NotImplementedError

    def find_notices(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        states: Iterable[str] | None = None,
        limit: int = 100,
        after_id: str | None = None,
        filed_from: datetime | None = None,
        filed_to: datetime | None = None,
    ) -> list[Notice]:
        clauses, params = filters(agreement_id=agreement_id, party_id=party_id, after_id=after_id)
        if filed_from is not None:
            clauses.append("filed_at >= ?")
            params.append(self.at(filed_from))
        if filed_to is not None:
            clauses.append("filed_at < ?")
            params.append(self.at(filed_to))
        if states is not None:
            states = list(states)
            if not states:
                return []
            clauses.append(f"state IN ({marks(states)})")
            params.extend(states)
        rows = self._all(f"SELECT body FROM notices {where(clauses)} ORDER BY id LIMIT ?", (*params, limit))
        return [notice_from(r[0]) for r in rows]

    def expired_notices(self, now: datetime, limit: int = 100) -> list[Notice]:
        rows = self._all(
            f"SELECT body FROM notices WHERE state IN ({marks(LIVE_STATES)}) AND time_end <= ? ORDER BY time_end, id LIMIT ?",
            (*LIVE_STATES, self.seconds(now), limit),
        )
        return [notice_from(r[0]) for r in rows]

    # Conflicts -------------------------------------------------------------------------------
    def get_conflict(self, conflict_id: str) -> Conflict | None:
        row = self._one("SELECT body FROM conflicts WHERE id = ?", (conflict_id,))
        return Conflict.model_validate_json(row[0]) if row else None

    def put_conflict(self, conflict: Conflict) -> None:
        self.put_conflicts([conflict])

    def put_conflicts(self, conflicts: Sequence[Conflict], bodies: Sequence[str] | None = None) -> None:
        """`bodies`: each conflict's JSON when the caller has it already (rules/conflicts.py encodes it
        once for the row, the events and the audit entry)."""
        texts = bodies if bodies is not None else [conflict.model_dump_json() for conflict in conflicts]
        self._upsert_many("conflicts", "id", [{
            "id": conflict.id, "agreement_id": conflict.agreement_id, "notice_a": conflict.notice_a, "notice_b": conflict.notice_b,
            "party_a": conflict.party_a, "party_b": conflict.party_b, "state": conflict.state, "body": text,
        } for conflict, text in zip(conflicts, texts)], update=("state", "body"))

    def conflicts_of_notice(self, notice_id: str, open_only: bool = True) -> list[Conflict]:
        state = "AND state = 'open'" if open_only else ""
        rows = self._all(
            f"SELECT id, body FROM conflicts WHERE notice_a = ? {state} UNION ALL SELECT id, body FROM conflicts WHERE notice_b = ? {state} ORDER BY 1",
            (notice_id, notice_id),
        )
        return [Conflict.model_validate_json(r[1]) for r in rows]

    def find_conflicts(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        open_only: bool = True,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Conflict]:
        clauses, params = filters(agreement_id=agreement_id, after_id=after_id)
        if party_id is not None:
            clauses.append("(party_a = ? OR party_b = ?)")
            params.extend([party_id, party_id])
        if open_only:
            clauses.append("state = 'open'")
        rows = self._all(f"SELECT body FROM conflicts {where(clauses)} ORDER BY id LIMIT ?", (*params, limit))
        return [Conflict.model_validate_json(r[0]) for r in rows]

    # Outbox (appending is the backend's: how events are numbered differs) -----------------------
    # Every feed (SSE, pull, webhooks, CLI) reads events through these two: the one place where the
    # bodies that events name instead of carrying are joined in (store/event_bodies.py).
    def events_after(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        rows = self._all(f"SELECT {EVENT_COLUMNS} FROM events WHERE party_id = ? AND seq > ? ORDER BY seq LIMIT ?", (party_id, after_seq, limit))
        return self._with_bodies([event_from(r) for r in rows])

    def get_event(self, seq: int) -> Event | None:
        row = self._one(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq = ?", (seq,))
        return self._with_bodies([event_from(row)])[0] if row else None

    def _with_bodies(self, events: list[Event]) -> list[Event]:
        event_bodies.join([event.payload for event in events], self._audit_payloads)
        return events

    def _audit_payloads(self, seqs: list[int]) -> dict[int, Any]:
        found: dict[int, Any] = {}
        for first in range(0, len(seqs), 500):
            batch = seqs[first:first + 500]
            found.update((int(seq), json.loads(text)) for seq, text in self._all(f"SELECT seq, payload FROM audit WHERE seq IN ({marks(batch)})", batch))
        return found

    def last_event_seq(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(seq), 0) FROM events")[0])

    # Credentials -------------------------------------------------------------------------------
    def put_credential(self, credential: Credential) -> None:
        self._credentials.clear()
        self._upsert("credentials", "id", {
            "id": credential.id, "party_id": credential.party_id, "token_hash": credential.token_hash, "body": credential.model_dump_json(),
        }, update=("body",))

    def credential_by_hash(self, token_hash: str) -> Credential | None:
        row = self._one("SELECT body FROM credentials WHERE token_hash = ?", (token_hash,))
        return Credential.model_validate_json(row[0]) if row else None

    def list_credentials(self, party_id: str | None = None) -> list[Credential]:
        if party_id not in self._credentials:  # a filing asks for each party it tells (observers owe nothing)
            clauses, params = filters(party_id=party_id)
            rows = self._all(f"SELECT body FROM credentials {where(clauses)} ORDER BY id", params)
            self._credentials[party_id] = [Credential.model_validate_json(r[0]) for r in rows]
        return list(self._credentials[party_id])

    # Subscriptions -----------------------------------------------------------------------------
    def put_subscription(self, subscription: Subscription) -> None:
        self._upsert("subscriptions", "id", {
            "id": subscription.id, "party_id": subscription.party_id, "agreement_id": subscription.agreement_id,
            "body": subscription.model_dump_json(),
        }, update=("body",))

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        row = self._one("SELECT body FROM subscriptions WHERE id = ?", (subscription_id,))
        return Subscription.model_validate_json(row[0], context=TRUSTED) if row else None

    def delete_subscription(self, subscription_id: str) -> None:
        self._run("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def list_subscriptions(self, party_id: str | None = None, agreement_id: str | None = None) -> list[Subscription]:
        clauses, params = filters(party_id=party_id, agreement_id=agreement_id)
        rows = self._all(f"SELECT body FROM subscriptions {where(clauses)} ORDER BY id", params)
        return [Subscription.model_validate_json(r[0], context=TRUSTED) for r in rows]

    # Webhooks ------------------------------------------------------------------------------------
    def put_endpoint(self, endpoint: Endpoint) -> None:
        self._upsert("endpoints", "id", {"id": endpoint.id, "party_id": endpoint.party_id, "body": endpoint.model_dump_json()}, update=("body",))

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        row = self._one("SELECT body FROM endpoints WHERE id = ?", (endpoint_id,))
        return Endpoint.model_validate_json(row[0]) if row else None

    def delete_endpoint(self, endpoint_id: str) -> None:
        self._run("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))

    def list_endpoints(self, party_id: str | None = None) -> list[Endpoint]:
        clauses, params = filters(party_id=party_id)
        return [Endpoint.model_validate_json(r[0]) for r in self._all(f"SELECT body FROM endpoints {where(clauses)} ORDER BY id", params)]

    def put_delivery(self, delivery: Delivery) -> None:
        self._upsert("deliveries", "id", {
            "id": delivery.id, "party_id": delivery.party_id, "state": delivery.state,
            "next_attempt_at": self.seconds(delivery.next_attempt_at), "body": delivery.model_dump_json(),
        }, update=("state", "next_attempt_at", "body"))

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        rows = self._all(
            "SELECT body FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (self.seconds(now), limit),
        )
        return [Delivery.model_validate_json(r[0]) for r in rows]

    def list_deliveries(
        self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None
    ) -> list[Delivery]:
        clauses, params = filters(party_id=party_id, state=state, after_id=after_id)
        rows = self._all(f"SELECT body FROM deliveries {where(clauses)} ORDER BY id LIMIT ?", (*params, limit))
        return [Delivery.model_validate_json(r[0]) for r in rows]

    # Deadlines -----------------------------------------------------------------------------------
    # Both sides of a conflict owe the same acknowledgment by the same moment: written together, they
    # are kept in ONE row (party_id PAIR; store/deadline_pairs.py) until one side's changes alone.
    def put_deadline(self, deadline: Deadline) -> None:
        self.put_deadlines([deadline])

    def put_deadlines(self, deadlines: Sequence[Deadline], new_subjects: bool = False) -> None:
        """`new_subjects`: the subjects were created in this transaction, so no row of theirs is stored
        yet (spares a filing's new conflicts a look for rows to replace)."""
        rows, singles, paired = [], [], []
        for first, second in deadline_pairs.grouped(deadlines):
            rows.append(self._deadline_row(first, second))
            (singles if second is None else paired).append((first, second))
        for first, _ in singles if not new_subjects else ():
            if first.kind in deadline_pairs.PAIRED_KINDS:
                self._split_pair(first)
        if paired and not new_subjects:  # the two sides' own rows, left by an earlier split (an updated conflict owes again)
            ids = [d.id for pair in paired for d in pair]
            for start in range(0, len(ids), 500):
                batch = ids[start:start + 500]
                self._run(f"DELETE FROM deadlines WHERE id IN ({marks(batch)})", batch)
        self._upsert_many("deadlines", "id", rows, update=("state", "due_at", "escalate_at", "body"))

    def _deadline_row(self, deadline: Deadline, other: Deadline | None = None) -> dict[str, Any]:
        return {
            "id": deadline.id if other is None else deadline_pairs.pair_id(deadline),
            "kind": deadline.kind, "subject_id": deadline.subject_id, "agreement_id": deadline.agreement_id,
            "party_id": deadline.party_id if other is None else deadline_pairs.PAIR, "state": deadline.state,
            "due_at": self.seconds(deadline.due_at),
            "escalate_at": self.seconds(deadline.next_escalation_at) if deadline.next_escalation_at else None,
            "created_at": self.seconds(deadline.created_at),
            "body": deadline.model_dump_json() if other is None else deadline_pairs.pair_body(deadline, other),
        }

    def _split_pair(self, deadline: Deadline) -> None:
        """One side's deadline changes alone: the pair row it belongs to (if any) becomes the two sides' own rows."""
        row = self._one("DELETE FROM deadlines WHERE id = ? RETURNING body", (deadline_pairs.pair_id(deadline),))
        if row is not None:
            self._upsert_many("deadlines", "id", [self._deadline_row(d) for d in deadline_pairs.both(row[0])])

    def _deadlines_read(self, sql: str, params: Sequence[Any], party_id: str | None = None) -> list[Deadline]:
        """Deadlines from rows of `SELECT body, party_id …`, a pair row read as its two sides (only
        `party_id`'s when given)."""
        found = []
        for row in self._all(sql, params):
            if row[1] != deadline_pairs.PAIR:
                found.append(Deadline.model_validate_json(row[0]))
            else:
                found.extend(d for d in deadline_pairs.both(row[0]) if party_id is None or d.party_id == party_id)
        return found

    def deadlines_of(self, subject_id: str, party_id: str | None = None, state: str | None = None) -> list[Deadline]:
        clauses, params = filters(subject_id=subject_id, state=state)
        if party_id is not None:
            clauses.append("party_id IN (?, ?)")
            params += [party_id, deadline_pairs.PAIR]
        return self._deadlines_read(f"SELECT body, party_id FROM deadlines {where(clauses)} ORDER BY created_at, id", params, party_id)

    def due_deadlines(self, now: datetime, limit: int = 100) -> list[Deadline]:
        # Pending ones past their deadline, and overdue ones whose next escalation has come (a pair row
        # is both sides pending: both are due).
        at = self.seconds(now)
        return self._deadlines_read(
            "SELECT body, party_id, due_at AS at, id FROM deadlines WHERE state = 'pending' AND due_at <= ? "
            "UNION ALL SELECT body, party_id, escalate_at AS at, id FROM deadlines WHERE state = 'overdue' AND escalate_at <= ? "
            "ORDER BY at, id LIMIT ?",
            (at, at, limit),
        )

    def find_deadlines(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Deadline]:
        clauses, params = filters(agreement_id=agreement_id, kind=kind)
        if party_id is not None:
            clauses.append("party_id IN (?, ?)")
            params += [party_id, deadline_pairs.PAIR]
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(self.seconds(since))
        if until is not None:
            clauses.append("created_at < ?")
            params.append(self.seconds(until))
        return self._deadlines_read(f"SELECT body, party_id FROM deadlines {where(clauses)} ORDER BY created_at, id", params, party_id)

    # Hotline -------------------------------------------------------------------------------------
    def put_message(self, message: HotlineMessage) -> None:
        at = self.seconds(message.created_at)
        self._run(
            "INSERT INTO hotline_messages (id, agreement_id, sender, kind, thread_id, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.id, message.agreement_id, message.sender, message.kind, message.thread_id, at,
             message.model_dump_json(exclude={"acknowledgments"})),
        )
        self._many("INSERT INTO hotline_recipients (party_id, message_id, created_at) VALUES (?, ?, ?)", [(p, message.id, at) for p in message.to])

    def get_message(self, message_id: str) -> HotlineMessage | None:
        row = self._one("SELECT body FROM hotline_messages WHERE id = ?", (message_id,))
        return HotlineMessage.model_validate_json(row[0]) if row else None

    def find_messages(
        self,
        agreement_id: str | None = None,
        party_id: str | None = None,
        thread_id: str | None = None,
        kind: str | None = None,
        limit: int = 100,
        newest_first: bool = False,
        sender: str | None = None,
    ) -> list[HotlineMessage]:
        clauses, params = filters(agreement_id=agreement_id, thread_id=thread_id, kind=kind, sender=sender)
        if party_id is not None:
            clauses.append("(sender = ? OR id IN (SELECT message_id FROM hotline_recipients WHERE party_id = ?))")
            params += [party_id, party_id]
        order = "DESC" if newest_first else "ASC"
        rows = self._all(f"SELECT body FROM hotline_messages {where(clauses)} ORDER BY created_at {order}, id {order} LIMIT ?", (*params, limit))
        return [HotlineMessage.model_validate_json(r[0]) for r in rows]

    # Audit ---------------------------------------------------------------------------------------
    def audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) of the chain's last entry: all a write needs to extend the chain. Its payload
        (after a filing, a whole notice: ~1 ms of JSON to parse) is not read."""
        if self._audit_tail is None:
            row = self._one("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            self._audit_tail = ((int(row[0]), row[1]) if row else None,)
        return self._audit_tail[0]

    def last_audit(self) -> AuditEntry | None:
        head = self.audit_head()
        if head is None:
            return None
        if head[0] in self._appended:
            return self._appended[head[0]]
        row = self._one(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq = ?", (head[0],))
        return audit_from(row) if row else None

    def log_size(self) -> int:
        head = self.audit_head()
        return head[0] if head else 0

    def append_audits(self, entries: Sequence[AuditEntry], texts: Sequence[str]) -> None:
        """`texts`: each payload's JSON text, as rules/audit.py encoded it for the entry's hash."""
        if not entries:
            return
        self._audit_tail = None  # read again if this insert fails (PostgreSQL: it may, and be retried)
        self._many(f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (entry.seq, self.at(entry.at), entry.actor, entry.action, entry.subject, text, entry.prev_hash, entry.hash)
            for entry, text in zip(entries, texts)
        ])
        self._appended.update((entry.seq, entry) for entry in entries)
        self._audit_tail = ((entries[-1].seq, entries[-1].hash),)

    # Events ----------------------------------------------------------------------------------------
    def append_event(self, party_id: str, kind: str, payload: dict[str, Any], now: datetime) -> int:
        return self.append_events([(party_id, kind, payload)], now)[0]

    def append_events(self, events: Sequence[tuple[str, str, dict[str, Any]]], now: datetime) -> list[int]:
        """(party, kind, payload) events in order; their numbers. A payload object told to several
        parties is encoded once."""
        encoded: dict[int, str] = {}
        rows = []
        for party_id, kind, payload in events:
            text = encoded.get(id(payload))
            if text is None:
                text = encoded[id(payload)] = payload.text if isinstance(payload, Encoded) else event_payload(payload)
            rows.append((party_id, kind, text))
        return self._insert_events(rows, now)

    def _insert_events(self, rows: Sequence[tuple[str, str, str]], now: datetime) -> list[int]:
        raise NotImplementedError

    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        # A write's own entries (its receipt asks for them) come from memory, not read back and parsed:
        # a filing's entry holds its whole notice. forget() drops them when a savepoint rolls back.
        wanted = range(after_seq + 1, min(after_seq + limit, self.log_size()) + 1) if self._appended else range(0)
        if wanted and all(seq in self._appended for seq in wanted):
            return [self._appended[seq] for seq in wanted]
        rows = self._all(f"SELECT {AUDIT_COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit))
        return [audit_from(r) for r in rows]

    def citable_audit(self, subjects: Iterable[str], upto_seq: int) -> list[AuditEntry]:
        """The entries of the kinds the compliance report cites (CITABLE_ACTIONS) whose subject is one of
        `subjects`, up to entry `upto_seq`, in log order: on the partial index audit_by_subject
        (migration 12), in batches, so any number of subjects reads only their entries."""
        wanted = sorted(set(subjects))
        found: list[AuditEntry] = []
        for first in range(0, len(wanted), 500):
            batch = wanted[first:first + 500]
            rows = self._all(
                f"SELECT {AUDIT_COLUMNS} FROM audit WHERE subject IN ({marks(batch)}) AND {CITABLE} AND seq <= ?", (*batch, upto_seq)
            )
            found.extend(audit_from(r) for r in rows)
        return sorted(found, key=lambda entry: entry.seq)


def notice_from(body: str) -> Notice:
    return Notice.model_validate_json(body, context=TRUSTED)


def event_from(row: Any) -> Event:
    return Event(seq=row[0], party_id=row[1], kind=row[2], payload=json.loads(row[3]), created_at=moment(row[4]))


def audit_from(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row[0], at=moment(row[1]), actor=row[2], action=row[3], subject=row[4], payload=json.loads(row[5]), prev_hash=row[6], hash=row[7],
    )


def event_payload(payload: dict[str, Any]) -> str:
    """Keys sorted; Encoded parts (transparency/canonical.py) spliced in as they are."""
    return dumps(payload)
