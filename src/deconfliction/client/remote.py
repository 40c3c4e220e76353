"""`RemoteDeconfliction`: the `Deconfliction` facade's method names and argument order over the HTTP
client (a leading `party_id`/`viewer`, checked against the token's party), so code written against
the library — the CLI — can run against a server unchanged."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

import httpx

from ..errors import Forbidden, InvalidInput
from ..geometry import Volume4D
from ..models import (
    Agreement, AuditEntry, Check, Conflict, Credential, Deadline, Delivery, Endpoint, Event, Filing, Finding, HotlineMessage, InboxItem,
    LineStatus, MessageRefs, MinimisedNotice, Notice, NoticePrivate, Party, Subscription,
)
from ..models.zones import Zone
from ..rules.audit import Verdict
from ..rules.channels import PlanItem
from ..rules.compliance import ComplianceReport
from .http import Client, Identity


def _as_notice(notice: Notice | MinimisedNotice, agreement_id: str | None = None) -> Notice:
    """The facade's type for every notice: another party's (minimised) fills what it cannot show with
    neutral values (no private fields, not late, agreement as asked for or empty)."""
    if isinstance(notice, Notice):
        return notice
    return Notice(
        id=notice.id, agreement_id=agreement_id or "", party_id=notice.party_id, volumes=notice.volumes, state=notice.state,
        version=notice.version, filed_at=notice.filed_at, updated_at=notice.filed_at, lead_time_s=notice.lead_time_s,
    )


class RemoteDeconfliction:
    """The `Deconfliction` facade over HTTP, for one token. Methods take the facade's leading
    `party_id`/`viewer`; it must be the token's party (or None where the facade allows it), else
    Forbidden is raised before any request. Notices come back as `Notice` (others' minimised)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None):
        self.api = Client(base_url, token, timeout=timeout, transport=transport)
        self._identity: Identity | None = None

    @staticmethod
    def clock() -> datetime:
        return datetime.now(timezone.utc)

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> "RemoteDeconfliction":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = self.api.me()
        return self._identity

    def _as(self, party_id: str | None) -> None:
        if party_id is not None and party_id != self.identity.party_id:
            acting = self.identity.party_id or "the operator (admin)"
            raise Forbidden(f"this token acts for {acting}, not {party_id!r}", field="party_id")

    # Agreements and parties
    def add_agreement(self, agreement: Agreement, parties: Iterable[Party] = (), actor: str = "admin") -> Agreement:
        for party in parties:
            self.api.add_party(party)
        return self.api.add_agreement(agreement)

    def add_party(self, party: Party, actor: str = "admin") -> Party:
        return self.api.add_party(party)

    def party(self, party_id: str) -> Party:
        return self.api.party(party_id)

    def agreement(self, agreement_id: str) -> Agreement:
        return self.api.agreement(agreement_id)

    def agreements(self, party_id: str | None = None) -> list[Agreement]:
        self._as(party_id)
        return self.api.agreements()

    def parties(self) -> list[Party]:
        return self.api.parties()

    # Notices
    def file_notice(self, party_id: str, agreement_id: str, volumes: list[Volume4D], *, key: Iterable[str] = (), private: NoticePrivate | None = None, notice_id: str | None = None) -> Filing:
        self._as(party_id)
        return self.api.file_notice(agreement_id, volumes, key=key, private=private, notice_id=notice_id)

    def change_notice(self, party_id: str, notice_id: str, *, version: str | None = None, volumes: list[Volume4D] | None = None, state: str | None = None,
                      key: Iterable[str] = (), private: NoticePrivate | None = None) -> Filing:
        self._as(party_id)
        if version is None:  # the API wants the version changed from; the facade lets it be omitted
            version = self.api.notice(notice_id).version
        return self.api.change_notice(notice_id, version=version, volumes=volumes, state=state, key=key, private=private)

    def cancel_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        self._as(party_id)
        return self.api.cancel_notice(notice_id, version)

    def end_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        self._as(party_id)
        return self.api.end_notice(notice_id, version)

    def activate_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        self._as(party_id)
        return self.api.activate_notice(notice_id, version)

    def notice(self, viewer: str, notice_id: str) -> Notice:
        self._as(viewer)
        return _as_notice(self.api.notice(notice_id))

    def notices(self, viewer: str, *, agreement_id: str | None = None, party_id: str | None = None, area: Volume4D | None = None,
                live_only: bool = False, limit: int = 100, after_id: str | None = None) -> list[Notice]:
        self._as(viewer)
        found = self.api.notices(agreement_id=agreement_id, party_id=party_id, area=area, live_only=live_only, limit=limit, after_id=after_id)
        return [_as_notice(n, agreement_id) for n in found]

    def check(self, party_id: str, agreement_id: str, volumes: list[Volume4D], exclude: str | None = None) -> Check:
        self._as(party_id)
        found = self.api.check(agreement_id, volumes, exclude)
        return Check([Finding(_as_notice(f.notice, agreement_id), f.closest) for f in found], found.zones, found.refusal)

    # Conflicts and acknowledgments
    def conflicts(self, viewer: str | None = None, *, agreement_id: str | None = None, notice_id: str | None = None, open_only: bool = True,
                  limit: int = 100, after_id: str | None = None) -> list[Conflict]:
        self._as(viewer)
        found: list[Conflict] = []
        while len(found) < limit:  # the API pages by at most 1000
            want = min(1000, limit - len(found))
            page = self.api.conflicts(agreement_id=agreement_id, notice_id=notice_id, open_only=open_only, limit=want, after_id=after_id)
            found.extend(page)
            if len(page) < want:
                break
            after_id = page[-1].id
        return found

    def acknowledge_conflict(self, party_id: str, conflict_id: str) -> Conflict:
        self._as(party_id)
        return self.api.acknowledge_conflict(conflict_id)

    def acknowledge_notice(self, party_id: str, notice_id: str) -> Deadline:
        self._as(party_id)
        return self.api.acknowledge_notice(notice_id)

    def deadlines(self, party_id: str, subject_id: str | None = None, state: str | None = None) -> list[Deadline]:
        self._as(party_id)
        return self.api.deadlines(subject_id, state)

    # Hotline
    def send_message(self, party_id: str, agreement_id: str, *, kind: str, text: str, to: Iterable[str] | None = None,
                     refs: MessageRefs | None = None, in_reply_to: str | None = None) -> HotlineMessage:
        self._as(party_id)
        return self.api.send_message(agreement_id, kind=kind, text=text, to=to, refs=refs, in_reply_to=in_reply_to)

    def acknowledge_message(self, party_id: str, message_id: str) -> Deadline:
        self._as(party_id)
        return self.api.acknowledge_message(message_id)

    def inbox(self, party_id: str, *, agreement_id: str | None = None, state: str | None = None, limit: int = 100) -> list[InboxItem]:
        self._as(party_id)
        return self.api.inbox(agreement_id=agreement_id, state=state, limit=limit)

    def sent(self, party_id: str, *, agreement_id: str | None = None, limit: int = 100) -> list[HotlineMessage]:
        self._as(party_id)
        return self.api.sent(agreement_id=agreement_id, limit=limit)

    def message(self, party_id: str | None, message_id: str) -> HotlineMessage:
        self._as(party_id)
        return self.api.message(message_id)

    def thread(self, party_id: str, message_id: str) -> list[HotlineMessage]:
        self._as(party_id)
        return self.api.thread(message_id)

    def lines(self, party_id: str, agreement_id: str) -> list[LineStatus]:
        self._as(party_id)
        return self.api.lines(agreement_id)

    # Events, subscriptions, webhooks
    def events(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        self._as(party_id)
        return self.api.events(after_seq, min(limit, 1000))

    def last_event_seq(self) -> int:
        return int(self.api.health()["last_event_seq"])

    def subscribe(self, party_id: str, agreement_id: str, volumes: list[Volume4D], kinds: list[str] | None = None) -> Subscription:
        self._as(party_id)
        return self.api.subscribe(agreement_id, volumes, kinds)

    def unsubscribe(self, party_id: str, subscription_id: str) -> None:
        self._as(party_id)
        self.api.unsubscribe(subscription_id)

    def subscriptions(self, party_id: str) -> list[Subscription]:
        self._as(party_id)
        return self.api.subscriptions()

    def add_endpoint(self, party_id: str, url: str, secret: str | None = None, kinds: list[str] | None = None) -> Endpoint:
        self._as(party_id)
        return self.api.add_endpoint(url, secret, kinds)

    def remove_endpoint(self, party_id: str, endpoint_id: str) -> None:
        self._as(party_id)
        self.api.remove_endpoint(endpoint_id)

    def endpoints(self, party_id: str | None = None) -> list[Endpoint]:
        self._as(party_id)
        return self.api.endpoints()

    def deliveries(self, party_id: str | None = None, state: str | None = None, limit: int = 100, after_id: str | None = None) -> list[Delivery]:
        self._as(party_id)
        return self.api.deliveries(state, min(limit, 1000), after_id)

    # Credentials (operator)
    def issue_token(self, party_id: str | None, scopes: list[str] | None = None, label: str = "", actor: str = "admin") -> tuple[Credential, str]:
        return self.api.issue_token(party_id, scopes, label)

    def revoke_token(self, credential_id: str, actor: str = "admin") -> Credential:
        return self.api.revoke_token(credential_id)

    def tokens(self, party_id: str | None = None) -> list[Credential]:
        return self.api.tokens(party_id)

    # Audit and compliance
    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        return self.api.audit_entries(after_seq, min(limit, 1000))

    def verify_audit(self) -> Verdict:
        return self.api.verify_audit()

    def compliance(self, agreement_id: str, start: datetime, end: datetime) -> ComplianceReport:
        return self.api.compliance(agreement_id, start, end)

    # Zones
    def zones(self, viewer: str | None, agreement_id: str) -> list[Zone]:
        self._as(viewer)
        return self.api.zones(agreement_id)

    def save_zones(self, actor: str, agreement_id: str, zones: list[Zone], replace: bool = False) -> dict:
        """The operator's token is needed; the server records the token's operator as the actor."""
        return self.api.save_zones(agreement_id, zones, replace=replace)

    def channels(self, party_id: str | None, agreement_id: str, *, area=None, at: datetime | None = None,
                 point: tuple[float, float] | None = None) -> list[PlanItem]:
        self._as(party_id)
        if area is not None:
            raise InvalidInput("the channel plan for an area is not offered over HTTP; give a point", field="area")
        lon, lat = point if point is not None else (None, None)
        return self.api.channels(agreement_id, lon=lon, lat=lat, at=at)
