"""Webhook delivery: the outbox's pending deliveries POSTed, signed, retried with back-off, dead-lettered.

`events.publish` queues one pending `Delivery` per webhook endpoint that wants the event, in the same
transaction as the change (the transactional outbox). The `Dispatcher` drains that queue.

What a receiver gets
--------------------
One HTTP ``POST`` per event and endpoint, with the event as JSON (the same shape as the pull feed:
``{"seq", "party_id", "kind", "payload", "created_at"}``) and, as on the SSE stream, ``"tree_head"``: the
latest signed head of the transparency log when the delivery was sent (it covers the write that made
the event: docs/evidence.md). A receiver that keeps it holds the log to it, as the Python client does
with every head it sees. These headers come with it:

``Deconfliction-Signature: t=<unix seconds>,v1=<hex>``
    ``hex`` = HMAC-SHA256, keyed with the endpoint's secret, over ``f"{t}."`` followed by the raw body
    bytes. Check it with :func:`verify_signature` (constant-time, and refuse timestamps older than a few
    minutes against replays). Several ``v1=`` values may appear while a secret is rotated; any one
    matching is enough.
``Deconfliction-Event-Id: <delivery id>``
    Stable across retries of the same event to the same endpoint: the de-duplication key.
``Deconfliction-Seq: <seq>``
    The event's sequence number: the same number as the pull feed (``after=``) and the SSE ``id:``.
    Sequence numbers are global (shared by all parties), so a party's seqs increase but have gaps.
``Deconfliction-Event-Kind``, ``Deconfliction-Attempt``
    For logs and routing; not signed separately (the body carries the kind too).

Delivery is *at least once*: a crash between a receiver's 2xx and the dispatcher recording it, or two
dispatchers racing on a store without row locks, delivers an event twice. Receivers de-duplicate by
``Deconfliction-Event-Id`` (or by seq per endpoint). Any 2xx is success; anything else (other status,
timeout, refused connection) is a failed attempt.

Order
-----
Per endpoint, in seq order: event n+1 is not sent to an endpoint before event n is delivered or dead.
A failing event therefore holds back the endpoint's later events during its back-off (they are
deferred to the same retry time, so they do not crowd other endpoints out of the due queue), and once
it is dead the rest flow again. Different endpoints never wait for each other. A dead letter requeued
with :func:`retry_dead` is sent again ahead of the endpoint's pending events, i.e. late relative to
events already delivered; its ``Deconfliction-Seq`` lets the receiver place it.

Retries
-------
After failed attempt k the next one is ``min(cap, base * factor**(k-1))`` seconds later (1 s, 2 s,
4 s, … 5 min with the defaults), spread by ±jitter; after ``max_attempts`` failures the delivery is
``dead`` with its ``last_error`` and shows in the dead-letter view (``system.deliveries(state="dead")``).

Claiming
--------
A dispatcher claims due deliveries in one write transaction by moving their ``next_attempt_at`` a
lease ahead (the POST timeout + 5 s, renewed as the claim is worked through); POSTs happen outside any
transaction; each outcome is written in its own short transaction together with its audit entry
(``events.delivered`` with channel ``webhook``, ``webhook.dead``). If the process dies mid-POST, the
lease runs out (15 s by default) and the delivery is due again. On SQLite (one writer at a time) several
dispatchers over one store never claim the same delivery; on a store whose transactions are weaker than
serialisable they may, which costs a duplicate (de-duplicated by the receiver), never a loss.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable, Iterator, Protocol

from ..rules import audit
from ..errors import InvalidState, NotFound
from .egress import PinnedPost, public_error
from ..models import Delivery, Endpoint, Event
from ..transparency.heads import TreeHead
from ..transparency.watch import with_head

if TYPE_CHECKING:
    from ..store import Transaction
    from ..service import Deconfliction

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Deconfliction-Signature"
EVENT_ID_HEADER = "Deconfliction-Event-Id"
SEQ_HEADER = "Deconfliction-Seq"
KIND_HEADER = "Deconfliction-Event-Kind"
ATTEMPT_HEADER = "Deconfliction-Attempt"
DEFAULT_TOLERANCE_S = 300


# Signatures ------------------------------------------------------------------------------------------
def _digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The `Deconfliction-Signature` header value for this body: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    return f"t={int(timestamp)},v1={_digest(body, secret, timestamp)}"


def verify_signature(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """For receivers: True if `header` signs exactly these body bytes with `secret`, made within
    `tolerance_s` of `now` (seconds since the epoch; default: the current time). Pass the raw body
    as received, before any JSON parsing."""
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if tolerance_s is not None and abs(current - timestamp) > tolerance_s:
        return False
    expected = _digest(body, secret, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


# Back-off --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Backoff:
    """Delay after the k-th failed attempt: min(cap, base * factor**(k-1)), times 1 ± jitter."""

    base_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 300.0
    jitter: float = 0.2

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        raw = min(self.cap_s, self.base_s * self.factor ** max(0, attempts - 1))
        if self.jitter and rng is not None:
            raw *= 1 + rng.uniform(-self.jitter, self.jitter)
        return max(0.0, raw)


# Transport -------------------------------------------------------------------------------------------
class Post(Protocol):
    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        """Send; return the HTTP status. Raise on a transport failure (refused, timeout, TLS)."""


class HttpxPost:
    """The real transport: one shared httpx client (connection pooling), no redirects followed."""

    def __init__(self) -> None:
        import httpx

        self._client = httpx.Client(follow_redirects=False, headers={"User-Agent": "deconfliction-webhooks/1"})

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        return self._client.post(url, content=body, headers=headers, timeout=timeout).status_code

    def close(self) -> None:
        self._client.close()


def event_body(event: Event, head: TreeHead | None = None) -> bytes:
    return with_head(event, head).encode()


def request_for(event: Event, delivery: Delivery, endpoint: Endpoint, timestamp: int, head: TreeHead | None = None) -> tuple[bytes, dict[str, str]]:
    body = event_body(event, head)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, endpoint.secret, timestamp),
        EVENT_ID_HEADER: delivery.id,
        SEQ_HEADER: str(event.seq),
        KIND_HEADER: event.kind,
        ATTEMPT_HEADER: str(delivery.attempts + 1),
    }
    return body, headers


# Store helpers (only the store protocol: runs on every backend) ------------------------------------------
def pending_of_endpoint(tx: Transaction, party_id: str, endpoint_id: str, page: int = 500) -> Iterator[Delivery]:
    """An endpoint's pending deliveries in seq order (delivery ids start with the zero-padded seq)."""
    after: str | None = None
    while True:
        batch = tx.list_deliveries(party_id, "pending", page, after)
        for delivery in batch:
            if delivery.endpoint_id == endpoint_id:
                yield delivery
        if len(batch) < page:
            return
        after = batch[-1].id


def current_delivery(tx: Transaction, delivery: Delivery) -> Delivery | None:
    """The delivery as stored now (ids start with the zero-padded seq, so this reads a handful of rows)."""
    prefix = f"{delivery.event_seq:012d}"
    if delivery.id.startswith(prefix):
        for found in tx.list_deliveries(delivery.party_id, None, 50, prefix):
            if found.id == delivery.id:
                return found
            if not found.id.startswith(prefix):
                return None
    return find_delivery(tx, delivery.id)


def find_delivery(tx: Transaction, delivery_id: str) -> Delivery | None:
    seq_text = delivery_id.split("-", 1)[0]
    if seq_text.isdigit():
        event = tx.get_event(int(seq_text))
        if event is not None:
            for delivery in tx.list_deliveries(event.party_id, None, 1000, seq_text):
                if delivery.id == delivery_id:
                    return delivery
                if not delivery.id.startswith(seq_text):
                    break
    # Not in the usual id form: look through the whole table, page by page.
    after = None
    while True:
        batch = tx.list_deliveries(None, None, 1000, after)
        for delivery in batch:
            if delivery.id == delivery_id:
                return delivery
        if len(batch) < 1000:
            return None
        after = batch[-1].id


# The dispatcher --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    delivery_id: str
    event_seq: int
    endpoint_id: str
    state: str  # delivered | pending (retry scheduled) | dead | skipped (finished by someone else)
    attempts: int
    error: str | None = None


@dataclass
class DispatchReport:
    claimed: int = 0
    deferred: int = 0  # held back behind an earlier event of the same endpoint
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return sum(o.state == "delivered" for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.state in ("pending", "dead") for o in self.outcomes)

    @property
    def dead(self) -> int:
        return sum(o.state == "dead" for o in self.outcomes)


@dataclass
class _Claim:
    endpoint: Endpoint | None
    deliveries: list[Delivery]


class Dispatcher:
    """Drains due webhook deliveries: `run_once()` claims, POSTs (endpoints in parallel, each endpoint
    in seq order) and records each outcome. Call it from a scheduler; it never sleeps."""

    def __init__(
        self,
        system: "Deconfliction",
        post: Post | Callable[[str, bytes, dict[str, str], float], int] | None = None,
        *,
        max_attempts: int = 10,
        backoff: Backoff = Backoff(),
        timeout_s: float = 10.0,
        lease_s: float | None = None,
        batch: int = 200,
        workers: int = 4,
        clock: Callable[[], datetime] | None = None,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.system = system
        self._own_post = post is None
        self.post = post if post is not None else PinnedPost(system.egress)  # public addresses only (egress.py)
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.timeout_s = timeout_s
        # Long enough for one POST; renewed while a claim is worked through.
        self.lease = timedelta(seconds=lease_s if lease_s is not None else timeout_s + 5)
        self.batch = batch
        self.clock = clock or system.clock
        self.wall_clock = wall_clock  # signature timestamps: what the receiver's clock compares with
        self.rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="webhook") if workers > 1 else None
        self._run_lock = threading.Lock()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._own_post and hasattr(self.post, "close"):
            self.post.close()  # type: ignore[union-attr]

    def __enter__(self) -> "Dispatcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # One pass ---------------------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> DispatchReport:
        """Claim what is due at `now` (default: the clock), send it, record outcomes."""
        with self._run_lock:
            now = now or self.clock()
            report = DispatchReport()
            claims = self._claim(now, report)
            if not claims:
                return report
            if self._pool is None or len(claims) == 1:
                results = [self._send_all(claim, now) for claim in claims]
            else:
                results = list(self._pool.map(lambda c: self._send_all(c, now), claims))
            for outcomes in results:
                report.outcomes.extend(outcomes)
            return report

    def run_until_idle(self, now: datetime | None = None, max_rounds: int = 100) -> DispatchReport:
        """`run_once` until nothing more is due at `now` (for tests and for draining a backlog)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = self.run_once(now)
            total.claimed += report.claimed
            total.deferred += report.deferred
            total.outcomes.extend(report.outcomes)
            if not report.claimed:
                break
        return total

    def _claim(self, now: datetime, report: DispatchReport) -> list[_Claim]:
        lease_until = now + self.lease
        claims: list[_Claim] = []
        if not self.system.read(lambda tx: tx.due_deliveries(now, 1)):
            return claims  # the usual case: no write lock taken from API writers
        return self.system.write(lambda tx: self._claim_in(tx, now, lease_until, report))

    def _claim_in(self, tx: Transaction, now: datetime, lease_until: datetime, report: DispatchReport) -> list[_Claim]:
        claims: list[_Claim] = []
        report.claimed = report.deferred = 0  # this may be a rerun after a serialization failure
        due = tx.due_deliveries(now, self.batch)
        by_endpoint: dict[str, list[Delivery]] = {}
        for delivery in due:
            by_endpoint.setdefault(delivery.endpoint_id, []).append(delivery)
        for endpoint_id, group in by_endpoint.items():
            group.sort(key=lambda d: (d.event_seq, d.id))
            endpoint = tx.get_endpoint(endpoint_id)
            head = next(pending_of_endpoint(tx, group[0].party_id, endpoint_id, page=50), None)
            if head is not None and head.id != group[0].id:
                # An earlier event of this endpoint is in back-off or in flight: wait behind it.
                held_until = max(head.next_attempt_at, now + timedelta(seconds=self.backoff.base_s))
                for delivery in group:
                    if delivery.event_seq > head.event_seq:
                        tx.put_delivery(delivery.model_copy(update={"next_attempt_at": held_until}))
                        report.deferred += 1
                continue
            leased = [d.model_copy(update={"next_attempt_at": lease_until}) for d in group]
            for delivery in leased:
                tx.put_delivery(delivery)
            claims.append(_Claim(endpoint, leased))
            report.claimed += len(leased)
        return claims

    def _send_all(self, claim: _Claim, now: datetime) -> list[Outcome]:
        outcomes: list[Outcome] = []
        lease_until = claim.deliveries[0].next_attempt_at if claim.deliveries else now
        for index, delivery in enumerate(claim.deliveries):
            rest = claim.deliveries[index + 1 :]
            # Renew the lease on what is left of the claim before it could run out during this POST.
            current_time = max(now, self.clock())
            if (lease_until - current_time).total_seconds() < self.timeout_s + 2:
                lease_until = current_time + self.lease
                if not self._renew(claim.deliveries[index:], lease_until):
                    return outcomes  # taken over meanwhile: leave the rest to whoever has it
            try:
                outcome = self._send(claim.endpoint, delivery, now)
            except Exception as error:  # a store error: leave the lease to run out, retry later
                log.exception("webhook delivery %s could not be recorded", delivery.id)
                outcomes.append(Outcome(delivery.id, delivery.event_seq, delivery.endpoint_id, "pending", delivery.attempts, repr(error)))
                return outcomes
            outcomes.append(outcome)
            if outcome.state == "pending":
                # Keep the order: the rest of this endpoint's events wait behind the failed one.
                self._hold(rest, outcome, now)
                break
        return outcomes

    def _send(self, endpoint: Endpoint | None, delivery: Delivery, now: datetime) -> Outcome:
        event, head = self.system.read(lambda tx: (tx.get_event(delivery.event_seq), tx.latest_tree_head()))
        if endpoint is None or not endpoint.active:
            return self._finish(delivery, now, error="endpoint removed or inactive", final=True)
        if event is None:
            return self._finish(delivery, now, error=f"event {delivery.event_seq} not found", final=True)
        body, headers = request_for(event, delivery, endpoint, int(self.wall_clock()), head)
        error: str | None = None
        try:
            status = self.post(endpoint.url, body, headers, self.timeout_s)
            if not 200 <= int(status) < 300:
                error = f"HTTP {status}"
        except Exception as failure:  # refused, timeout, TLS, DNS: all a failed attempt
            # The party reads last_error: the kind of failure only, never what answered where (egress.py).
            log.warning("webhook %s to %s failed: %s: %s", delivery.id, endpoint.url, type(failure).__name__, failure)
            error = public_error(failure)
        return self._finish(delivery, now, error=error)

    def _renew(self, deliveries: list[Delivery], until: datetime) -> bool:
        def renew(tx: Transaction) -> bool:
            head = current_delivery(tx, deliveries[0])
            if head is None or head.state != "pending" or head.next_attempt_at != deliveries[0].next_attempt_at:
                return False
            for delivery in deliveries:
                tx.put_delivery(delivery.model_copy(update={"next_attempt_at": until}))
            return True

        if not self.system.write(renew):
            return False
        for delivery in deliveries:
            delivery.next_attempt_at = until
        return True

    def _finish(self, delivery: Delivery, now: datetime, *, error: str | None, final: bool = False) -> Outcome:
        now = max(now, self.clock())  # a POST may have taken a while
        return self.system.write(lambda tx: self._finish_in(tx, delivery, now, error, final))

    def _finish_in(self, tx: Transaction, delivery: Delivery, now: datetime, error: str | None, final: bool) -> Outcome:
        current = current_delivery(tx, delivery)
        if current is None or current.state != "pending":
            # Someone else finished it meanwhile; leave their outcome alone.
            return Outcome(delivery.id, delivery.event_seq, delivery.endpoint_id, "skipped", delivery.attempts, "finished elsewhere")
        delivery = current
        attempts = delivery.attempts + 1
        if error is None:
            done = delivery.model_copy(update={"state": "delivered", "attempts": attempts, "delivered_at": now, "last_error": None})
            tx.put_delivery(done)
            audit.record(
                tx, "system", "events.delivered", delivery.party_id,
                {"channel": "webhook", "endpoint_id": delivery.endpoint_id, "delivery_id": delivery.id,
                 "first_seq": delivery.event_seq, "last_seq": delivery.event_seq, "attempts": attempts},
                now,
            )
            return Outcome(delivery.id, delivery.event_seq, delivery.endpoint_id, "delivered", attempts)
        if final or attempts >= self.max_attempts:
            dead = delivery.model_copy(update={"state": "dead", "attempts": attempts, "last_error": error})
            tx.put_delivery(dead)
            audit.record(
                tx, "system", "webhook.dead", delivery.party_id,
                {"endpoint_id": delivery.endpoint_id, "delivery_id": delivery.id, "seq": delivery.event_seq,
                 "attempts": attempts, "error": error},
                now,
            )
            # The endpoint's later events no longer wait for this one.
            self._release(tx, delivery, now)
            return Outcome(delivery.id, delivery.event_seq, delivery.endpoint_id, "dead", attempts, error)
        retry_at = now + timedelta(seconds=self.backoff.delay(attempts, self.rng))
        tx.put_delivery(delivery.model_copy(update={"attempts": attempts, "last_error": error, "next_attempt_at": retry_at}))
        return Outcome(delivery.id, delivery.event_seq, delivery.endpoint_id, "pending", attempts, error)

    def _hold(self, rest: list[Delivery], failed: Outcome, now: datetime) -> None:
        if not rest:
            return

        def hold(tx: Transaction) -> None:
            head = next(pending_of_endpoint(tx, rest[0].party_id, rest[0].endpoint_id, page=50), None)
            until = head.next_attempt_at if head is not None else now
            for delivery in rest:
                tx.put_delivery(delivery.model_copy(update={"next_attempt_at": until}))

        self.system.write(hold)

    @staticmethod
    def _release(tx: Transaction, delivery: Delivery, now: datetime) -> None:
        for later in pending_of_endpoint(tx, delivery.party_id, delivery.endpoint_id):
            if later.event_seq > delivery.event_seq and later.next_attempt_at > now:
                tx.put_delivery(later.model_copy(update={"next_attempt_at": now}))


# Dead letters ----------------------------------------------------------------------------------------
def retry_dead(system: "Deconfliction", delivery_id: str, actor: str = "admin", party_id: str | None = None) -> Delivery:
    """Requeue a dead delivery: pending again, attempts from zero, due now. `party_id`, when given,
    must own it (a party may requeue only its own dead letters). Recorded in the audit chain."""
    now = system.clock()

    def requeue(tx: Transaction) -> Delivery:
        delivery = find_delivery(tx, delivery_id)
        if delivery is None or (party_id is not None and delivery.party_id != party_id):
            raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
        if delivery.state != "dead":
            raise InvalidState(f"delivery {delivery_id} is {delivery.state}, not dead", field="delivery_id")
        requeued = delivery.model_copy(update={"state": "pending", "attempts": 0, "next_attempt_at": now})
        tx.put_delivery(requeued)
        audit.record(
            tx, actor, "webhook.requeued", delivery.party_id,
            {"delivery_id": delivery.id, "endpoint_id": delivery.endpoint_id, "seq": delivery.event_seq, "last_error": delivery.last_error},
            now,
        )
        return requeued

    return system.write(requeue)


def dead_letters(system: "Deconfliction", party_id: str | None = None, limit: int = 100, after_id: str | None = None) -> list[Delivery]:
    """The dead-letter view (the same as `system.deliveries(party_id, state="dead")`)."""
    return system.deliveries(party_id, state="dead", limit=limit, after_id=after_id)
