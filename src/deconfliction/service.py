"""The system as a library: one object over a store and a clock, one transaction per call.

    >>> import deconfliction
    >>> system = deconfliction.connect("airspace.db")
    >>> filing = system.file_notice("blue", "syria-2015", volumes, key=[...])

The CLI and the HTTP API call these same methods.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from .errors import DatabaseLost, NotFound, StoreBusy
from .geometry import Footprint, Minima, Volume4D, volume_conflict
from .models import (
    LIVE_STATES, Agreement, AuditEntry, Check, Conflict, Credential, Deadline, Delivery, Endpoint, Event, Filing, Finding, HotlineMessage,
    InboxItem, LineStatus, MessageRefs, Notice, NoticePrivate, Party, Subscription,
)
from .rules import acknowledgments, audit, credentials, hotline, prechecked
from .rules import channels as channel_rules
from .rules import compliance as compliance_rules
from .rules import compliance_receipts
from .rules import conflicts as conflict_rules
from .rules import notices as notice_rules
from .rules import subscriptions as subscription_rules
from .rules import zones as zone_rules
from .rules.compliance import ComplianceReport
from .rules.conflicts import closest_conflict, find_conflicts
from .rules.credential_cache import CredentialCache
from .models.zones import Zone
from .rules import idempotency
from .rules.volume_limits import check_size
from .store import Store, Transaction, connection_lost, is_busy, open_store
from .rules import evidence as transparency_evidence
from .rules import signing as transparency_signing
from .transparency import receipts as transparency_receipts
from .transparency.heads import TreeHead
from .transparency.keys import SigningKey, default_log_key_path, load_or_create
from .transparency.statements import PartyKey
from .workers import egress


T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Deconfliction:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now, log_key: SigningKey | None = None):
        self.store = store
        self.clock = clock
        self.credential_cache = CredentialCache()  # tokens checked in the last second (credential_cache.py)
        self.log_key = log_key or SigningKey.generate()  # signs the log's tree heads (transparency/keys.py)
        self.egress = egress.EgressPolicy.from_env()  # where webhooks may go (workers/egress.py); the operator may widen it

    def close(self) -> None:
        self.store.close()

    # The transaction boundary: every call below is one of these, and so is any caller's own work
    # (F3548, the tactical loop, webhook delivery, access checks, the CLI) -------------------------
    def read(self, work: Callable[[Transaction], T]) -> T:
        """`work(tx)` in one read-only transaction: one consistent snapshot, never aborted."""
        with self._reading() as tx:
            return work(tx)

    def write(self, work: Callable[[Transaction], T]) -> T:
        """`work(tx)` in one write transaction, all or nothing, run again from the start if the store
        aborts it for a concurrent one (so `work` must do nothing outside `tx` it would regret twice).
        A store too busy to take it raises StoreBusy (503, try again); one that lost its database past
        the failover budget, or at COMMIT, DatabaseLost (503, send again with the same key). Guarded by
        the request's idempotency key when it has one (rules/idempotency.py).
        A write that added audit entries also signs a tree head over them, in the same transaction,
        and hands its receipt to the front end that asked (transparency/receipts.py); a party's signed
        statement that the request presented is checked and kept there too (rules/signing.py)."""
        pending = transparency_signing.take_pending()

        def sealed(tx: Transaction):
            return transparency_evidence.sealed(tx, work, self.log_key, self.clock, pending)

        try:
            result, receipt = idempotency.run_write(self.store, sealed, self.clock)
        except (StoreBusy, DatabaseLost):
            raise
        except Exception as error:
            if is_busy(error):
                raise StoreBusy() from error
            if connection_lost(error):
                raise DatabaseLost() from error
            raise
        if receipt is not None:
            transparency_receipts.deliver(receipt)
        return result

    def glance(self, work: Callable[[Transaction], T]) -> T:
        """`work(tx)` reading without one snapshot across its reads, where the store has a cheaper way
        to (PostgreSQL: no BEGIN and COMMIT around them); otherwise as `read`. Only for reads that the
        write they prepare checks again (rules/prechecked.py: answers are kept by notice version)."""
        with self._reading(snapshot=False) as tx:
            return work(tx)

    @contextmanager
    def _reading(self, snapshot: bool = True) -> Iterator[Transaction]:
        glance = None if snapshot else getattr(self.store, "glance", None)
        try:
            with glance() if glance is not None else self.store.transaction(write=False) as tx:
                yield tx
        except Exception as error:
            if is_busy(error):
                raise StoreBusy() from error
            if connection_lost(error):
                raise DatabaseLost() from error
            raise

    # Agreements and parties -------------------------------------------------------------------
    def add_agreement(self, agreement: Agreement, parties: Iterable[Party] = (), actor: str = "admin") -> Agreement:
        """Create or replace an agreement, with any parties not yet known."""
        now = self.clock()
        parties = list(parties)  # a retried transaction must see them again

        def work(tx):
            for i, party in enumerate(parties):
                tx.put_party(party)
                audit.record(tx, actor, "party.saved", party.id, party.model_dump(mode="json"), now)
                transparency_signing.register_listed_keys(tx, party, now, actor, f"parties.{i}")
            for party_id in agreement.parties:
                if tx.get_party(party_id) is None:
                    tx.put_party(Party(id=party_id, name=party_id))
                    audit.record(tx, actor, "party.saved", party_id, {"id": party_id, "name": party_id}, now)
            tx.put_agreement(agreement, now)
            audit.record(tx, actor, "agreement.saved", agreement.id, agreement.model_dump(mode="json"), now)

        self.write(work)
        return agreement

    def add_party(self, party: Party, actor: str = "admin") -> Party:
        def work(tx):
            now = self.clock()
            tx.put_party(party)
            audit.record(tx, actor, "party.saved", party.id, party.model_dump(mode="json"), now)
            transparency_signing.register_listed_keys(tx, party, now, actor, "")

        self.write(work)
        return party

    def party(self, party_id: str) -> Party:
        with self._reading() as tx:
            found = tx.get_party(party_id)
        if found is None:
            raise NotFound(f"no party {party_id!r}", field="party_id")
        return found

    def agreement(self, agreement_id: str) -> Agreement:
        with self._reading() as tx:
            found = tx.get_agreement(agreement_id)
        if found is None:
            raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
        return found

    def agreements(self, party_id: str | None = None) -> list[Agreement]:
        with self._reading() as tx:
            return tx.list_agreements(party_id)

    def parties(self) -> list[Party]:
        with self._reading() as tx:
            return tx.list_parties()

    # Notices -------------------------------------------------------------------------------------
    def file_notice(
        self,
        party_id: str,
        agreement_id: str,
        volumes: list[Volume4D],
        *,
        key: Iterable[str] = (),
        private: NoticePrivate | None = None,
        notice_id: str | None = None,
    ) -> Filing:
        volumes, key = list(volumes), list(key)  # a retried transaction must see them again
        # A chosen id belongs to its agreement, so it reveals nothing of others' (rules/notices.scoped_id).
        notice_id = notice_rules.scoped_id(agreement_id, notice_id) if notice_id else None
        known = prechecked.precompute(self.glance, agreement_id, party_id, volumes, closest_conflict)  # outside the write lock

        def work(tx):
            return notice_rules.file_notice(
                tx, agreement_id=agreement_id, party_id=party_id, volumes=volumes, now=self.clock(),
                key=key, private=private, notice_id=notice_id,
            )

        with prechecked.using(known):
            return self.write(work)

    def change_notice(
        self,
        party_id: str,
        notice_id: str,
        *,
        version: str | None = None,
        volumes: list[Volume4D] | None = None,
        state: str | None = None,
        key: Iterable[str] = (),
        private: NoticePrivate | None = None,
    ) -> Filing:
        key = list(key)
        volumes = list(volumes) if volumes is not None else None
        known = None if volumes is None else prechecked.precompute(self.glance, None, party_id, volumes, closest_conflict, exclude=notice_id)

        def work(tx):
            return notice_rules.change_notice(
                tx, notice_id=notice_id, party_id=party_id, now=self.clock(), version=version,
                volumes=volumes, state=state, key=key, private=private,
            )

        with prechecked.using(known):
            return self.write(work)

    def cancel_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="cancelled")

    def end_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="ended")

    def activate_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="active")

    def set_conformance(self, notice_id: str, conforming: bool) -> Notice | None:
        def work(tx):
            return notice_rules.set_conformance(tx, notice_id=notice_id, conforming=conforming, now=self.clock())

        return self.write(work)

    def notice(self, viewer: str, notice_id: str) -> Notice:
        with self._reading() as tx:
            return notice_rules.visible_notice(tx, notice_id, viewer).as_seen_by(viewer)

    def notices(
        self,
        viewer: str,
        *,
        agreement_id: str | None = None,
        party_id: str | None = None,
        area: Volume4D | None = None,
        live_only: bool = False,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Notice]:
        """Notices the viewer may see, optionally only those that reach into `area` (exactly)."""
        states = LIVE_STATES if live_only else None
        with self._reading() as tx:
            member_of = [a.id for a in tx.list_agreements(viewer)]
            if agreement_id is not None and agreement_id not in member_of:
                raise NotFound(f"no agreement {agreement_id!r} with {viewer!r} as a member", field="agreement_id")
            agreements = member_of if agreement_id is None else [agreement_id]
            found: list[Notice] = []
            for agreement in agreements:
                if area is None:
                    found.extend(tx.find_notices(agreement_id=agreement, party_id=party_id, states=states, limit=limit, after_id=after_id))
                else:
                    # Only live notices are indexed, so an area search sees live notices only.
                    touching = Minima(lateral_m=1e-3, vertical_m=0.0, time_buffer_s=0.0)
                    candidates = tx.candidate_notices(agreement, [area], touching, LIVE_STATES)
                    found.extend(
                        n for n in candidates
                        if (party_id is None or n.party_id == party_id)
                        and (after_id is None or n.id > after_id)
                        and any(volume_conflict(v, area, touching) for v in n.volumes)
                    )
        return [n.as_seen_by(viewer) for n in sorted(found, key=lambda n: n.id)[:limit]]

    def check(self, party_id: str, agreement_id: str, volumes: list[Volume4D], exclude: str | None = None) -> Check:
        """What filing these volumes would conflict with, and the zones it would be told of or refused
        by (exactly as filing), without writing anything."""
        volumes = list(volumes)
        with self._reading() as tx:
            agreement = notice_rules.agreement_for(tx, agreement_id, party_id)
            check_size(agreement, volumes)
            # The filing that follows (same volumes, moments later) reuses these answers (rules/prechecked.py).
            known = prechecked.remembered.recall(volumes, agreement.separation.minima())
            with prechecked.using(known):
                findings = find_conflicts(tx, agreement, party_id, volumes, exclude=exclude)
            prechecked.remembered.keep(known)
            hits, refusal = zone_rules.zone_verdict(tx, agreement, volumes)
        return Check([Finding(f.notice.as_seen_by(party_id), f.closest) for f in findings], hits,
                     refusal and {"code": refusal.code, "message": refusal.message, "field": refusal.field})

    # Zones ---------------------------------------------------------------------------------------
    def zones(self, viewer: str | None, agreement_id: str) -> list[Zone]:
        """The agreement's zones: for its members (NotFound for anyone else, invariant 3) and the operator (None)."""
        def work(tx):
            agreement = tx.get_agreement(agreement_id)
            if agreement is None or (viewer is not None and viewer not in agreement.parties):
                raise NotFound(f"no agreement {agreement_id!r} with {viewer!r} as a member", field="agreement_id")
            return [zone.as_seen_by(viewer) for zone in tx.zones_of(agreement_id)]

        return self.read(work)

    def save_zones(self, actor: str, agreement_id: str, zones: list[Zone], replace: bool = False) -> dict:
        """Store imported zones (the operator): {"saved": n, "removed": n} (docs/data.md)."""
        now = self.clock()
        return self.write(lambda tx: zone_rules.save_zones(tx, actor=actor, agreement_id=agreement_id, zones=list(zones),
                                                            now=now, replace=replace))

    # Conflicts -----------------------------------------------------------------------------------
    def conflicts(
        self,
        viewer: str | None = None,
        *,
        agreement_id: str | None = None,
        notice_id: str | None = None,
        open_only: bool = True,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Conflict]:
        """Conflicts, of a notice or of a party (`viewer`: only its own); all of them when viewer is None (admin)."""
        with self._reading() as tx:
            if notice_id is not None:
                if viewer is not None:
                    notice_rules.visible_notice(tx, notice_id, viewer)
                found = [c for c in tx.conflicts_of_notice(notice_id, open_only) if viewer is None or c.involves(viewer)]
                return [c for c in found if after_id is None or c.id > after_id][:limit]
            return tx.find_conflicts(agreement_id=agreement_id, party_id=viewer, open_only=open_only, limit=limit, after_id=after_id)

    def acknowledge_conflict(self, party_id: str, conflict_id: str) -> Conflict:
        def work(tx):
            return conflict_rules.acknowledge(tx, conflict_id, party_id, self.clock())

        return self.write(work)

    def acknowledge_notice(self, party_id: str, notice_id: str) -> Deadline:
        def work(tx):
            return acknowledgments.acknowledge_notice(tx, notice_id=notice_id, party_id=party_id, now=self.clock())

        return self.write(work)

    def deadlines(self, party_id: str, subject_id: str | None = None, state: str | None = None) -> list[Deadline]:
        """What a party owes (or owed): acknowledgments of notices, conflicts and hotline messages."""
        with self._reading() as tx:
            if subject_id is not None:
                return tx.deadlines_of(subject_id, party_id=party_id, state=state)
            return [d for d in tx.find_deadlines(party_id=party_id) if state is None or d.state == state]

    # Hotline --------------------------------------------------------------------------------------
    def send_message(
        self,
        party_id: str,
        agreement_id: str,
        *,
        kind: str,
        text: str,
        to: Iterable[str] | None = None,
        refs: MessageRefs | None = None,
        in_reply_to: str | None = None,
    ) -> HotlineMessage:
        """Send a hotline message to some co-parties, or all (`to` None); each recipient owes an acknowledgment."""
        to = list(to) if to is not None else None

        def work(tx):
            return hotline.send(
                tx, agreement_id=agreement_id, sender=party_id, kind=kind, text=text, now=self.clock(),
                to=to, refs=refs, in_reply_to=in_reply_to,
            )

        return self.write(work)

    def acknowledge_message(self, party_id: str, message_id: str) -> Deadline:
        return self.write(lambda tx: hotline.acknowledge(tx, message_id=message_id, party_id=party_id, now=self.clock()))

    def inbox(self, party_id: str, *, agreement_id: str | None = None, state: str | None = None, limit: int = 100) -> list[InboxItem]:
        """Messages to the party: overdue first, then pending by due time, then the rest, newest first."""
        with self._reading() as tx:
            return hotline.inbox(tx, party_id, agreement_id, state)[:limit]

    def sent(self, party_id: str, *, agreement_id: str | None = None, limit: int = 100) -> list[HotlineMessage]:
        """What the party sent, newest first, with each recipient's acknowledgment."""
        with self._reading() as tx:
            return hotline.sent(tx, party_id, agreement_id, limit)

    def message(self, party_id: str | None, message_id: str) -> HotlineMessage:
        """A message its sender or a recipient may read (party_id None: the operator)."""
        with self._reading() as tx:
            return hotline.with_acknowledgments(tx, hotline.visible_message(tx, message_id, party_id))

    def thread(self, party_id: str, message_id: str) -> list[HotlineMessage]:
        with self._reading() as tx:
            return hotline.thread(tx, message_id, party_id)

    def lines(self, party_id: str, agreement_id: str) -> list[LineStatus]:
        """Whose hotline answers: each party's state from its last settled line test."""
        with self._reading() as tx:
            return hotline.lines(tx, agreement_id, party_id)

    # Events, subscriptions, webhooks ---------------------------------------------------------------
    def events(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        with self._reading() as tx:
            return tx.events_after(party_id, after_seq, limit)

    def last_event_seq(self) -> int:
        with self._reading() as tx:
            return tx.last_event_seq()

    def record_delivery(self, party_id: str, channel: str, first_seq: int, last_seq: int) -> None:
        """Audit that events first_seq..last_seq reached the party (pull feed, SSE or webhook)."""
        def work(tx):
            audit.record(tx, "system", "events.delivered", party_id, {"channel": channel, "first_seq": first_seq, "last_seq": last_seq}, self.clock())

        self.write(work)

    def subscribe(self, party_id: str, agreement_id: str, volumes: list[Volume4D], kinds: list[str] | None = None) -> Subscription:
        def work(tx):
            return subscription_rules.subscribe(
                tx, party_id=party_id, agreement_id=agreement_id, volumes=list(volumes), kinds=list(kinds or []), now=self.clock()
            )

        return self.write(work)

    def unsubscribe(self, party_id: str, subscription_id: str) -> None:
        def work(tx):
            subscription_rules.unsubscribe(tx, party_id=party_id, subscription_id=subscription_id, now=self.clock())

        self.write(work)

    def subscriptions(self, party_id: str) -> list[Subscription]:
        with self._reading() as tx:
            return tx.list_subscriptions(party_id=party_id)

    def add_endpoint(self, party_id: str, url: str, secret: str | None = None, kinds: list[str] | None = None) -> Endpoint:
        """A webhook for the party's events; the returned endpoint carries the signing secret (keep it).
        Its host must resolve to public addresses only, unless `self.egress` allows more (workers/egress.py);
        resolved here, outside the store's write lock."""
        egress.check_url(url, self.egress)

        def work(tx):
            return subscription_rules.add_endpoint(tx, party_id=party_id, url=url, secret=secret, kinds=list(kinds or []), now=self.clock())

        return self.write(work)

    def remove_endpoint(self, party_id: str, endpoint_id: str) -> None:
        def work(tx):
            subscription_rules.remove_endpoint(tx, party_id=party_id, endpoint_id=endpoint_id, now=self.clock())

        self.write(work)

    def endpoints(self, party_id: str | None = None) -> list[Endpoint]:
        with self._reading() as tx:
            return tx.list_endpoints(party_id)

    def deliveries(self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None) -> list[Delivery]:
        """Webhook deliveries; state='dead' is the dead-letter view."""
        with self._reading() as tx:
            return tx.list_deliveries(party_id, state, limit, after_id)

    # Credentials ------------------------------------------------------------------------------------
    def issue_token(self, party_id: str | None, scopes: list[str] | None = None, label: str = "", actor: str = "admin") -> tuple[Credential, str]:
        """A new API token; the second value is the token itself, shown this once and never stored."""
        now = self.clock()

        def work(tx):
            credential, token = credentials.issue_token(tx, party_id=party_id, scopes=scopes, now=now, label=label)
            audit.record(tx, actor, "token.issued", credential.id, {"party_id": party_id, "scopes": credential.scopes, "label": label}, now)
            return credential, token


        return self.write(work)

    def authenticate(self, token: str) -> Credential:
        """The token's credential; the store is read unless this process checked it within the last
        second (a revocation through this object is seen at once, through another process within 1 s)."""
        token_hash = credentials.hash_token(token)
        credential = self.credential_cache.get(token_hash)
        if credential is not None:
            return credential
        began = self.credential_cache.begin()
        with self._reading() as tx:
            credential = credentials.authenticate(tx, token)
        self.credential_cache.put(token_hash, credential, began)
        return credential

    def authenticate_cached(self, token: str) -> Credential | None:
        """`authenticate` without touching the store: the credential if it is remembered, else None."""
        return self.credential_cache.get(credentials.hash_token(token))

    def revoke_token(self, credential_id: str, actor: str = "admin") -> Credential:
        now = self.clock()

        def work(tx):
            credential = credentials.revoke_token(tx, credential_id, now)
            audit.record(tx, actor, "token.revoked", credential_id, {}, now)
            return credential

        try:
            return self.write(work)
        finally:  # committed or not, forget every remembered token (and any lookup already under way)
            self.credential_cache.clear()

    def tokens(self, party_id: str | None = None) -> list[Credential]:
        with self._reading() as tx:
            return tx.list_credentials(party_id)

    # Time passing ----------------------------------------------------------------------------------
    def tick(self, limit: int = 100) -> "Tick":
        """Run what time makes due: overdue acknowledgments (hotline ones again and again), notices past their end, line tests. Call it often
        (the server does, every second); each call is one short transaction per kind of work."""
        now = self.clock()

        def escalate(tx):
            late = acknowledgments.run_due(tx, now, limit)
            for deadline in late:
                if deadline.kind == "hotline":
                    hotline.escalate(tx, deadline, now)
            return late

        overdue = self.write(escalate)
        ended = self.write(lambda tx: [notice_rules.expire_notice(tx, n, now) for n in tx.expired_notices(now, limit)])
        line_tests = self.write(lambda tx: hotline.send_line_tests(tx, now))
        return Tick(overdue=overdue, ended=ended, line_tests=line_tests)

    # Channels -------------------------------------------------------------------------------------
    def channels(
        self,
        party_id: str | None,
        agreement_id: str,
        *,
        area: "Volume4D | Footprint | None" = None,
        at: datetime | None = None,
        point: tuple[float, float] | None = None,
    ) -> list[channel_rules.PlanItem]:
        """The agreement's channel plan (members; None: the operator): its channels and those assigned
        from its pool, reaching into `area`, in effect at `at`. With `point` (lon, lat): the channels
        that apply there, the one a conflict or alert there would name first (docs/channels.md)."""
        with self._reading() as tx:
            agreement = tx.get_agreement(agreement_id) if party_id is None else notice_rules.agreement_for(tx, agreement_id, party_id)
            if agreement is None:
                raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
            return channel_rules.plan(tx, agreement, area=area, at=at, point=point)

    # Audit and compliance --------------------------------------------------------------------------
    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        with self._reading() as tx:
            return tx.audit_entries(after_seq, limit)

    def verify_audit(self) -> audit.Verdict:
        with self._reading() as tx:
            return audit.verify(audit.read_all(tx))

    # Transparency log (transparency/): signed heads and proofs --------------------------------------
    def tree_head(self) -> TreeHead:
        """The latest signed tree head, signing one if the log has grown since the last (e.g. by a worker)."""
        with self._reading() as tx:
            head, size = tx.latest_tree_head(), tx.log_size()
        if head is not None and head.size == size and head.log_id == self.log_key.id:
            return head
        return self.write(lambda tx: transparency_evidence.latest_head(tx, self.log_key, self.clock))

    def latest_tree_head(self) -> TreeHead | None:
        """The newest head already signed (a read: no signing)."""
        with self._reading() as tx:
            return tx.latest_tree_head()

    def signed_tree_head(self, size: int) -> TreeHead | None:
        with self._reading() as tx:
            return tx.tree_head(size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._reading() as tx:
            return transparency_evidence.inclusion(tx, index, size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        with self._reading() as tx:
            return transparency_evidence.consistency(tx, old, new)

    # Parties' signing keys (rules/signing.py) ---------------------------------------------------
    def add_party_key(
        self, party_id: str, public_key: str, *, valid_from: datetime | None = None, valid_until: datetime | None = None, actor: str = "admin"
    ) -> PartyKey:
        return self.write(lambda tx: transparency_signing.add_key(tx, party_id, public_key, self.clock(), valid_from, valid_until, actor))

    def revoke_party_key(self, party_id: str, key_id: str, actor: str = "admin") -> PartyKey:
        return self.write(lambda tx: transparency_signing.revoke_key(tx, party_id, key_id, self.clock(), actor))

    def party_keys(self, party_id: str) -> list[PartyKey]:
        with self._reading() as tx:
            return tx.party_keys(party_id)

    def compliance(self, agreement_id: str, start: datetime, end: datetime) -> ComplianceReport:
        with self._reading() as tx:
            report = compliance_rules.report(tx, agreement_id, start, end)
        head = self.tree_head()  # signed after the figures were read: every entry they cite is under it
        with self._reading() as tx:
            return compliance_receipts.prove(tx, report, head)


@dataclass
class Tick:
    overdue: list[Deadline]
    ended: list[Notice]
    line_tests: list[HotlineMessage]


def connect(
    database: str | Path = "deconfliction.db", clock: Callable[[], datetime] = utc_now, log_key: str | Path | None = None
) -> Deconfliction:
    """Open (creating if need be) a store and return the system over it. `log_key`: the file of the key
    that signs the log's heads (made if missing); by default beside a SQLite store (transparency/keys.py)."""
    path = log_key or default_log_key_path(str(database))
    return Deconfliction(open_store(str(database)), clock, load_or_create(path) if path else None)
