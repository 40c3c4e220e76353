"""Notices and conflicts as records: what is stored and what each party may see of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..geometry import Volume4D

NoticeState = Literal["planned", "active", "nonconforming", "ended", "cancelled"]
LIVE_STATES: tuple[str, ...] = ("planned", "active", "nonconforming")

# Which state a notice may move to from which. `nonconforming` is set by the monitor.
TRANSITIONS: dict[str, set[str]] = {
    "planned": {"active", "cancelled", "ended"},
    "active": {"ended", "cancelled", "nonconforming"},
    "nonconforming": {"active", "ended", "cancelled"},
    "ended": set(),
    "cancelled": set(),
}


class NoticePrivate(BaseModel):
    """The filing party's own fields. Never shown to anyone else (invariant 3)."""

    model_config = ConfigDict(extra="forbid")
    reference: str | None = Field(default=None, max_length=200)
    remarks: str | None = Field(default=None, max_length=2000)


class MinimisedNotice(BaseModel):
    """All another party may know of a notice: id, owner, volumes, state, version, filing time, lead time."""

    id: str
    party_id: str
    volumes: list[Volume4D]
    state: NoticeState
    version: str
    filed_at: datetime
    lead_time_s: float


class Notice(BaseModel):
    id: str
    agreement_id: str
    party_id: str
    volumes: list[Volume4D]
    state: NoticeState
    version: str
    filed_at: datetime
    updated_at: datetime
    lead_time_s: float
    late: bool = False
    private: NoticePrivate = Field(default_factory=NoticePrivate)

    @property
    def start(self) -> datetime:
        return min(v.time.start for v in self.volumes)

    @property
    def end(self) -> datetime:
        return max(v.time.end for v in self.volumes)

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def minimised(self) -> MinimisedNotice:
        return MinimisedNotice(
            id=self.id,
            party_id=self.party_id,
            volumes=self.volumes,
            state=self.state,
            version=self.version,
            filed_at=self.filed_at,
            lead_time_s=self.lead_time_s,
        )

    def as_seen_by(self, party_id: str | None) -> "Notice":
        """The notice for a library caller acting as `party_id`: all of it for its owner (or an
        operator, None); for anyone else, what they may not see is blanked (invariant 3)."""
        if party_id is None or party_id == self.party_id:
            return self
        return self.model_copy(update={"private": NoticePrivate(), "late": False, "updated_at": self.filed_at})

    def seen_by(self, party_id: str) -> dict[str, Any]:
        """The notice as `party_id` may see it: all of it for its owner, minimised for anyone else."""
        if party_id == self.party_id:
            return self.model_dump(mode="json")
        return self.minimised().model_dump(mode="json")


class ChannelRef(BaseModel):
    """The channel a conflict names. `assigned`: from the agreement's pool (docs/channels.md);
    `pool_exhausted`: the pool had no channel left that no neighbouring cluster uses, so a neighbour
    shares this one."""

    name: str
    contact: str
    assigned: bool = False
    pool_exhausted: bool = False


class Conflict(BaseModel):
    """Two live notices of different parties closer than the agreement's minima.

    Notices are kept in a stable order (`notice_a` < `notice_b`), so the pair has one conflict at a time."""

    id: str
    agreement_id: str
    notice_a: str
    notice_b: str
    party_a: str
    party_b: str
    version_a: str
    version_b: str
    state: Literal["open", "cleared"] = "open"
    opened_at: datetime
    updated_at: datetime
    cleared_at: datetime | None = None
    lateral_m: float
    vertical_m: float
    time_start: datetime
    time_end: datetime
    where: tuple[float, float]
    channel: ChannelRef | None = None
    acknowledged_a: datetime | None = None
    acknowledged_b: datetime | None = None

    def involves(self, party_id: str) -> bool:
        return party_id in (self.party_a, self.party_b)

    def acknowledged_by(self, party_id: str) -> datetime | None:
        if party_id == self.party_a:
            return self.acknowledged_a
        if party_id == self.party_b:
            return self.acknowledged_b
        return None

    def other_notice(self, notice_id: str) -> str:
        return self.notice_b if notice_id == self.notice_a else self.notice_a


class Event(BaseModel):
    """An entry in one party's durable feed; `seq` orders a party's events and lets it resume."""

    seq: int
    party_id: str
    kind: str
    payload: dict[str, Any]
    created_at: datetime


class Credential(BaseModel):
    """A party's API token, stored only as its SHA-256 hash. `party_id` None is an operator (admin) token."""

    id: str
    party_id: str | None
    token_hash: str
    scopes: list[str]
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None


class Subscription(BaseModel):
    """A party's area of interest in an agreement and the event kinds it wants to hear about there."""

    id: str
    party_id: str
    agreement_id: str
    volumes: list[Volume4D]
    kinds: list[str] = Field(default_factory=lambda: ["notice."])  # prefixes of event kinds
    created_at: datetime


class Endpoint(BaseModel):
    """A webhook: events for the party are POSTed here, signed with HMAC-SHA256 of the secret."""

    id: str
    party_id: str
    url: str
    secret: str
    kinds: list[str] = Field(default_factory=list)  # prefixes; empty: every event
    created_at: datetime
    active: bool = True


class Delivery(BaseModel):
    """One event on its way to one webhook: retried with back-off, dead after too many failures."""

    id: str
    event_seq: int
    endpoint_id: str
    party_id: str
    state: Literal["pending", "delivered", "dead"] = "pending"
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    delivered_at: datetime | None = None


class Deadline(BaseModel):
    """Someone owes an acknowledgment: of a notice, a conflict or a hotline message, by `due_at`."""

    id: str
    kind: Literal["notice", "conflict", "hotline"]
    subject_id: str
    subject_version: str | None = None
    agreement_id: str
    party_id: str  # who must acknowledge
    owner_id: str | None = None  # who waits for it (the sender), if anyone
    created_at: datetime
    due_at: datetime
    # withdrawn: nothing is owed any more (the conflict cleared, the notice was cancelled)
    state: Literal["pending", "acknowledged", "overdue", "withdrawn"] = "pending"
    acknowledged_at: datetime | None = None
    escalations: int = 0
    # Hotline deadlines escalate again every `escalate_every_s` while overdue; others escalate once.
    escalate_every_s: float | None = None
    next_escalation_at: datetime | None = None


class AuditEntry(BaseModel):
    """One link of the hash chain: hash = SHA-256(prev_hash + canonical JSON of the rest)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


MessageKind = Literal["notice", "query", "alert", "info", "test"]
MESSAGE_KINDS: tuple[str, ...] = ("notice", "query", "alert", "info", "test")


class MessageRefs(BaseModel):
    """What a hotline message is about: notices, conflicts, aircraft (callsigns or ICAO 24-bit addresses)."""

    model_config = ConfigDict(extra="forbid")
    notices: list[str] = Field(default_factory=list, max_length=50)
    conflicts: list[str] = Field(default_factory=list, max_length=50)
    aircraft: list[str] = Field(default_factory=list, max_length=50)


class MessageAcknowledgment(BaseModel):
    party_id: str
    state: Literal["pending", "acknowledged", "overdue", "withdrawn"]
    due_at: datetime
    acknowledged_at: datetime | None = None
    escalations: int = 0


class HotlineMessage(BaseModel):
    """A message on the hotline between parties of one agreement. `sender` None: the system's line test."""

    id: str
    agreement_id: str
    sender: str | None
    to: list[str]
    kind: MessageKind
    text: str
    refs: MessageRefs = Field(default_factory=MessageRefs)
    in_reply_to: str | None = None
    thread_id: str
    created_at: datetime
    # Filled in when read (from the recipients' deadlines), never stored with the message.
    acknowledgments: list[MessageAcknowledgment] = Field(default_factory=list)


class InboxItem(BaseModel):
    """A message to a party, with what the party owes on it."""

    message: HotlineMessage
    deadline: Deadline


class LineStatus(BaseModel):
    """Whether a party answers the hotline: the state of its last line test."""

    party_id: str
    state: Literal["up", "down", "unknown"]
    last_test_at: datetime | None = None
    last_ack_at: datetime | None = None
