"""Python client for the HTTP API.

    >>> from deconfliction.client import Client
    >>> with Client("http://127.0.0.1:8000", token) as api:
    ...     filing = api.file_notice("pact", volumes, key=[...])
    ...     for event in api.stream_events():
    ...         print(event.kind)

`Client` speaks for the token's party and returns the library's models (`Notice` for your own notices,
`MinimisedNotice` for others', `Conflict`, `Event`, …). Refusals raise the same `DeconflictionError`
subclasses the library raises, rebuilt from the problem document (same `code`, `field`, `details`).
The facade's method names over this client are in `remote.py`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import uuid

import httpx

from ..models.agreements import Agreement, Party
from ..models.zones import Zone
from ..rules.audit import Verdict
from ..rules.channels import PlanItem
from ..rules.compliance import ComplianceReport
from ..errors import ERRORS, STATUS_BY_CODE, DeconflictionError, Unavailable
from ..geometry import Volume4D
from ..geometry.separation import VolumeConflict
from ..models import (
    AuditEntry, Check, Conflict, Credential, Deadline, Delivery, Endpoint, Event, Filing, HotlineMessage, InboxItem, LineStatus, MessageRefs,
    MinimisedNotice, Notice, NoticePrivate, Subscription,
)
from ..transparency.keys import SigningKey
from ..transparency.statements import sign_request
from ..transparency.watch import LogWatch, default_witness
from ..transparency.witness import Witness

PROBLEM_KEYS = ("type", "title", "status", "detail", "code", "field", "instance")


def error_from_response(response: httpx.Response) -> DeconflictionError:
    """The library's error for a problem+json reply (or a generic one for anything else)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code = body["code"] if body["code"] in STATUS_BY_CODE else "internal"
        details = {k: v for k, v in body.items() if k not in PROBLEM_KEYS}
        cls = ERRORS.get(code, DeconflictionError)
        return cls(str(body.get("detail") or body.get("title") or code), field=body.get("field"), details=details)
    code = next((c for c, s in STATUS_BY_CODE.items() if s == response.status_code), "unavailable" if response.status_code >= 500 else "invalid_input")
    return ERRORS[code](f"HTTP {response.status_code}: {response.text[:200]}")


def _volume(value: Volume4D | dict) -> dict:
    return value.model_dump(mode="json") if isinstance(value, Volume4D) else value


def _volumes(values: Iterable[Volume4D | dict] | dict) -> list[dict] | dict:
    return values if isinstance(values, dict) else [_volume(v) for v in values]


def _private(private: NoticePrivate | dict | None) -> dict | None:
    return private.model_dump(mode="json") if isinstance(private, NoticePrivate) else private


def _notice(data: dict) -> Notice | MinimisedNotice:
    return Notice.model_validate(data) if "agreement_id" in data else MinimisedNotice.model_validate(data)


def _filing(data: dict) -> Filing:
    from ..models.zones import ZoneHit

    zones = [ZoneHit.model_validate(z) for z in data.get("zones", [])]
    return Filing(Notice.model_validate(data["notice"]), [Conflict.model_validate(c) for c in data["conflicts"]], data["late"], zones)


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


@dataclass(frozen=True)
class Identity:
    party_id: str | None
    scopes: list[str]
    credential_id: str
    via: str


@dataclass(frozen=True)
class RemoteFinding:
    """A conflicting notice (minimised) and where the checked volumes come closest to it."""

    notice: MinimisedNotice
    closest: VolumeConflict


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _worth_retrying(response: httpx.Response) -> bool:
    """A 503 that says when to come back (the store busy, or its database failing over), or a 409 saying
    our keyed request is still being answered. A 503 without Retry-After (e.g. no tactical monitor
    in this process) is not going to change by waiting."""
    if response.status_code == 503:
        return "retry-after" in response.headers
    if response.status_code == 409 and response.headers.get("content-type", "").startswith("application/problem+json"):
        try:
            return response.json().get("code") == "idempotency_in_progress"
        except ValueError:
            return False
    return False


class Client:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None, retry_s: float = 30.0, witness: Witness | None | bool = True,
        signing_key: SigningKey | str | None = None, clock: Callable[[], datetime] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry_s = retry_s  # how long a request is retried after a lost connection or a 503
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._http.headers["Authorization"] = f"Bearer {token}"
        # The last signed head of the server's log this party saw, kept and checked (transparency/watch.py);
        # witness=False: none (e.g. a throwaway script), a Witness: kept in its folder.
        chosen = default_witness() if witness is True else (witness or None)
        self.log = LogWatch(self._http, self.base_url, chosen)
        # The party's own Ed25519 key (a PEM file, or DECONFLICTION_SIGNING_KEY): every write is then
        # signed (transparency/statements.py), and the server keeps the signature with the record.
        signing_key = signing_key or os.environ.get("DECONFLICTION_SIGNING_KEY") or None
        self.signing_key = SigningKey.from_pem(open(signing_key, "rb").read()) if isinstance(signing_key, str) else signing_key
        self._party: str | None = None
        self.clock = clock  # when statements are signed (signedAt); default: this machine's UTC clock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Plumbing -----------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None, headers: dict | None = None,
                content: bytes | None = None) -> httpx.Response:
        """One request; a write carries an `Idempotency-Key` (a fresh one unless `headers` has one), so
        that after a lost connection or a 503 (the server's database failing over) it is sent again
        with the same key for up to `retry_s` seconds, and applied once whatever happened to the first."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers = dict(headers or {})
        if method.upper() in WRITE_METHODS and not any(k.lower() == "idempotency-key" for k in headers):
            headers["Idempotency-Key"] = uuid.uuid4().hex
        if self.signing_key is not None and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers["Deconfliction-Signature"] = self._signature(method, path, json)
        deadline = time.monotonic() + self.retry_s
        wait = 0.1
        while True:
            try:
                self.log.first_contact()
                response = self._http.request(method, path, json=json, params=params, headers=headers, content=content)
            except httpx.TransportError as exc:
                if time.monotonic() < deadline:
                    time.sleep(wait)
                    wait = min(1.0, wait * 2)
                    continue
                raise Unavailable(f"cannot reach {self.base_url}: {exc}") from exc
            if _worth_retrying(response) and time.monotonic() < deadline:
                time.sleep(wait)
                wait = min(1.0, wait * 2)
                continue
            self.log.after(response)  # a receipt or head that does not extend what this party kept raises LogAlarm
            if response.status_code >= 400:
                raise error_from_response(response)
            return response

    def _signature(self, method: str, path: str, body: Any) -> str:
        if self._party is None:
            self._party = self._http.get("/v1/me").json().get("party_id") or ""
        url_path = self._http.build_request(method, path).url.path
        return sign_request(self.signing_key, self._party, method, url_path, body, now=self.clock() if self.clock else None)[1]

    def _get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def _post(self, path: str, body: Any = None, headers: dict | None = None) -> Any:
        return self.request("POST", path, json=body, headers=headers).json()

    def pages(self, path: str, *, limit: int = 1000, **params: Any) -> Iterator[dict]:
        """Every item of a list, following `next`."""
        after = params.pop("after", None)
        while True:
            page = self._get(path, limit=limit, after=after, **params)
            yield from page["items"]
            if page.get("next") is None:
                return
            after = page["next"]

    def health(self) -> dict:
        return self._get("/v1/health")

    def me(self) -> Identity:
        data = self._get("/v1/me")
        return Identity(data["party_id"], data["scopes"], data["credential_id"], data["via"])

    # Agreements and parties (admin writes) ---------------------------------------------------------
    def add_agreement(self, agreement: Agreement | dict) -> Agreement:
        body = agreement.model_dump(mode="json") if isinstance(agreement, Agreement) else agreement
        return Agreement.model_validate(self._post("/v1/agreements", body))

    def agreement(self, agreement_id: str) -> Agreement:
        return Agreement.model_validate(self._get(f"/v1/agreements/{agreement_id}"))

    def agreements(self) -> list[Agreement]:
        return [Agreement.model_validate(a) for a in self.pages("/v1/agreements")]

    def add_party(self, party: Party | dict) -> Party:
        body = party.model_dump(mode="json") if isinstance(party, Party) else party
        if isinstance(party, Party) and party.keys:  # kept apart from the party's record, sent to be registered
            body["keys"] = [k.model_dump(mode="json", exclude_none=True) for k in party.keys]
        return Party.model_validate(self._post("/v1/parties", body))

    def party(self, party_id: str) -> Party:
        return Party.model_validate(self._get(f"/v1/parties/{party_id}"))

    def parties(self) -> list[Party]:
        return [Party.model_validate(p) for p in self.pages("/v1/parties")]

    # Notices ----------------------------------------------------------------------------------------
    def file_notice(
        self, agreement_id: str, volumes: Iterable[Volume4D | dict] | dict, *, key: Iterable[str] = (), private: NoticePrivate | dict | None = None, notice_id: str | None = None
    ) -> Filing:
        body: dict[str, Any] = {"agreement_id": agreement_id, "volumes": _volumes(volumes), "key": list(key)}
        if private is not None:
            body["private"] = _private(private)
        if notice_id is not None:
            body["id"] = notice_id
        return _filing(self._post("/v1/notices", body))

    def change_notice(
        self, notice_id: str, *, version: str | None = None, volumes: Iterable[Volume4D | dict] | None = None, state: str | None = None,
        key: Iterable[str] = (), private: NoticePrivate | dict | None = None,
    ) -> Filing:
        body: dict[str, Any] = {"version": version, "key": list(key)}
        if volumes is not None:
            body["volumes"] = _volumes(volumes)
        if state is not None:
            body["state"] = state
        if private is not None:
            body["private"] = _private(private)
        return _filing(self.request("PUT", f"/v1/notices/{notice_id}", json=body).json())

    def _state(self, action: str, notice_id: str, version: str | None) -> Filing:
        return _filing(self._post(f"/v1/notices/{notice_id}/{action}", {"version": version} if version else None))

    def cancel_notice(self, notice_id: str, version: str | None = None) -> Filing:
        return self._state("cancel", notice_id, version)

    def end_notice(self, notice_id: str, version: str | None = None) -> Filing:
        return self._state("end", notice_id, version)

    def activate_notice(self, notice_id: str, version: str | None = None) -> Filing:
        return self._state("activate", notice_id, version)

    def notice(self, notice_id: str) -> Notice | MinimisedNotice:
        return _notice(self._get(f"/v1/notices/{notice_id}"))

    def notices(
        self, *, agreement_id: str | None = None, party_id: str | None = None, area: Volume4D | dict | None = None,
        live_only: bool = False, limit: int = 100, after_id: str | None = None,
    ) -> list[Notice | MinimisedNotice]:
        """One page of the notices you may see (all of them: iterate with `after_id` = the last id)."""
        if area is not None:
            body = {"area": _volume(area), "agreement_id": agreement_id, "party_id": party_id, "after": after_id, "limit": limit}
            page = self._post("/v1/notices/search", {k: v for k, v in body.items() if v is not None})
        else:
            page = self._get("/v1/notices", agreement_id=agreement_id, party_id=party_id, live=live_only or None, limit=limit, after=after_id)
        return [_notice(n) for n in page["items"]]

    def check(self, agreement_id: str, volumes: Iterable[Volume4D | dict] | dict, exclude: str | None = None) -> Check:
        """The conflicting notices (RemoteFinding: their versions form the key), with `zones` (ZoneHit)
        and `refusal` as filing would meet them (models.Check)."""
        from ..models.zones import ZoneHit

        body = {"agreement_id": agreement_id, "volumes": _volumes(volumes)}
        if exclude:
            body["exclude"] = exclude
        answer = self._post("/v1/check", body)
        found = Check([], [ZoneHit.model_validate(z) for z in answer.get("zones", [])], answer.get("refused"))
        for item in answer["conflicts"]:
            closest = VolumeConflict(
                lateral_m=item["lateral_m"], vertical_m=item["vertical_m"], time_start=datetime.fromisoformat(item["time_start"]),
                time_end=datetime.fromisoformat(item["time_end"]), where=tuple(item["where"]),
            )
            found.append(RemoteFinding(MinimisedNotice.model_validate(item["notice"]), closest))
        return found

    # Conflicts and acknowledgments -----------------------------------------------------------------
    def conflicts(
        self, *, agreement_id: str | None = None, notice_id: str | None = None, open_only: bool = True, limit: int = 100, after_id: str | None = None
    ) -> list[Conflict]:
        page = self._get("/v1/conflicts", agreement_id=agreement_id, notice_id=notice_id, include_cleared=None if open_only else True, limit=limit, after=after_id)
        return [Conflict.model_validate(c) for c in page["items"]]

    def conflict(self, conflict_id: str) -> Conflict:
        return Conflict.model_validate(self._get(f"/v1/conflicts/{conflict_id}"))

    def acknowledge_conflict(self, conflict_id: str) -> Conflict:
        return Conflict.model_validate(self._post(f"/v1/conflicts/{conflict_id}/ack"))

    def acknowledge_notice(self, notice_id: str) -> Deadline:
        return Deadline.model_validate(self._post(f"/v1/notices/{notice_id}/ack"))

    def deadlines(self, subject_id: str | None = None, state: str | None = None) -> list[Deadline]:
        return [Deadline.model_validate(d) for d in self.pages("/v1/deadlines", subject_id=subject_id, state=state)]

    # Hotline ----------------------------------------------------------------------------------------
    def send_message(self, agreement_id: str, *, kind: str, text: str, to: Iterable[str] | None = None,
                     refs: MessageRefs | dict | None = None, in_reply_to: str | None = None) -> HotlineMessage:
        body: dict[str, Any] = {"agreement_id": agreement_id, "kind": kind, "text": text}
        if to is not None:
            body["to"] = list(to)
        if refs is not None:
            body["refs"] = refs.model_dump(mode="json") if isinstance(refs, MessageRefs) else refs
        if in_reply_to is not None:
            body["in_reply_to"] = in_reply_to
        return HotlineMessage.model_validate(self._post("/v1/hotline/messages", body))

    def acknowledge_message(self, message_id: str) -> Deadline:
        return Deadline.model_validate(self._post(f"/v1/hotline/messages/{message_id}/ack"))

    def inbox(self, *, agreement_id: str | None = None, state: str | None = None, limit: int = 100) -> list[InboxItem]:
        page = self._get("/v1/hotline/inbox", agreement_id=agreement_id, state=state, limit=limit)
        return [InboxItem.model_validate(i) for i in page["items"]]

    def sent(self, *, agreement_id: str | None = None, limit: int = 100) -> list[HotlineMessage]:
        page = self._get("/v1/hotline/sent", agreement_id=agreement_id, limit=limit)
        return [HotlineMessage.model_validate(m) for m in page["items"]]

    def message(self, message_id: str) -> HotlineMessage:
        return HotlineMessage.model_validate(self._get(f"/v1/hotline/messages/{message_id}"))

    def thread(self, message_id: str) -> list[HotlineMessage]:
        return [HotlineMessage.model_validate(m) for m in self._get(f"/v1/hotline/messages/{message_id}/thread")["items"]]

    def lines(self, agreement_id: str) -> list[LineStatus]:
        return [LineStatus.model_validate(line) for line in self._get("/v1/hotline/lines", agreement_id=agreement_id)["items"]]

    # Events -----------------------------------------------------------------------------------------
    def events(self, after_seq: int = 0, limit: int = 100) -> list[Event]:
        return [Event.model_validate(e) for e in self._get("/v1/events", after=after_seq, limit=limit)["items"]]

    def stream_events(self, after: int | None = None, *, reconnect: bool = True, read_timeout_s: float = 45.0, max_wait_s: float = 5.0) -> Iterator[Event]:
        """Events as they happen (Server-Sent Events), in order, for ever. Starts after `after` (default:
        now); after a dropped connection it reconnects with Last-Event-ID, so nothing is missed or
        repeated. Stop by breaking out of the loop."""
        last = after if after is not None else int(self.health()["last_event_seq"])
        wait = 0.1
        while True:
            try:
                headers = {"Accept": "text/event-stream", "Last-Event-ID": str(last)}
                timeout = httpx.Timeout(10.0, read=read_timeout_s)
                with self._http.stream("GET", "/v1/events/stream", headers=headers, timeout=timeout) as response:
                    if response.status_code >= 400:
                        response.read()
                        if not (reconnect and _worth_retrying(response)):
                            raise error_from_response(response)
                        raise httpx.RemoteProtocolError("503: the server's database is failing over")  # come back, as after a drop
                    wait = 0.1
                    for data, _ in _sse(response.iter_lines()):
                        self.log.observe_event(data)  # events carry the log's latest signed head
                        event = Event.model_validate_json(data)
                        if event.seq <= last:
                            continue
                        last = event.seq
                        yield event
            except httpx.TransportError:
                if not reconnect:
                    raise Unavailable("the event stream was interrupted") from None
            if not reconnect:
                return
            time.sleep(wait)
            wait = min(max_wait_s, wait * 2)

    # Subscriptions and webhooks ----------------------------------------------------------------------
    def subscribe(self, agreement_id: str, volumes: Iterable[Volume4D | dict] | dict, kinds: list[str] | None = None) -> Subscription:
        body: dict[str, Any] = {"agreement_id": agreement_id, "volumes": _volumes(volumes)}
        if kinds is not None:
            body["kinds"] = kinds
        return Subscription.model_validate(self._post("/v1/subscriptions", body))

    def unsubscribe(self, subscription_id: str) -> None:
        self.request("DELETE", f"/v1/subscriptions/{subscription_id}")

    def subscriptions(self) -> list[Subscription]:
        return [Subscription.model_validate(s) for s in self.pages("/v1/subscriptions")]

    def add_endpoint(self, url: str, secret: str | None = None, kinds: list[str] | None = None) -> Endpoint:
        """A webhook; the returned endpoint carries the signing secret, which the server never shows again."""
        body: dict[str, Any] = {"url": url}
        if secret is not None:
            body["secret"] = secret
        if kinds is not None:
            body["kinds"] = kinds
        return Endpoint.model_validate(self._post("/v1/webhooks/endpoints", body))

    def remove_endpoint(self, endpoint_id: str) -> None:
        self.request("DELETE", f"/v1/webhooks/endpoints/{endpoint_id}")

    def endpoints(self) -> list[Endpoint]:
        """Your endpoints; `secret` is empty (shown only when created)."""
        return [Endpoint.model_validate({**e, "secret": ""}) for e in self.pages("/v1/webhooks/endpoints")]

    def deliveries(self, state: str | None = None, limit: int = 100, after_id: str | None = None) -> list[Delivery]:
        page = self._get("/v1/webhooks/deliveries", state=state, limit=limit, after=after_id)
        return [Delivery.model_validate(d) for d in page["items"]]

    def dead_letters(self, limit: int = 100, after_id: str | None = None) -> list[Delivery]:
        return [Delivery.model_validate(d) for d in self._get("/v1/webhooks/dead-letters", limit=limit, after=after_id)["items"]]

    def retry_delivery(self, delivery_id: str) -> Delivery:
        return Delivery.model_validate(self._post(f"/v1/webhooks/deliveries/{delivery_id}/retry"))

    # Tokens, audit, compliance (operator) -----------------------------------------------------------
    def issue_token(self, party_id: str | None, scopes: list[str] | None = None, label: str = "") -> tuple[Credential, str]:
        data = self._post("/v1/tokens", {"party_id": party_id, "scopes": scopes, "label": label})
        return Credential.model_validate({**data["credential"], "token_hash": ""}), data["token"]

    def revoke_token(self, credential_id: str) -> Credential:
        return Credential.model_validate({**self.request("DELETE", f"/v1/tokens/{credential_id}").json(), "token_hash": ""})

    def tokens(self, party_id: str | None = None) -> list[Credential]:
        return [Credential.model_validate({**c, "token_hash": ""}) for c in self.pages("/v1/tokens", party_id=party_id)]

    def audit_entries(self, after_seq: int = 0, limit: int = 1000) -> list[AuditEntry]:
        return [AuditEntry.model_validate(e) for e in self._get("/v1/audit", after=after_seq, limit=limit)["items"]]

    def verify_audit(self) -> Verdict:
        data = self._get("/v1/audit/verify")
        return Verdict(data["ok"], data["entries"], data.get("first_bad_seq"), data.get("reason"))

    def compliance(self, agreement_id: str, start: datetime, end: datetime) -> ComplianceReport:
        return ComplianceReport.model_validate(self._get(f"/v1/agreements/{agreement_id}/compliance", **{"from": _iso(start), "to": _iso(end)}))

    def compliance_csv(self, agreement_id: str, start: datetime, end: datetime) -> str:
        return self.request("GET", f"/v1/agreements/{agreement_id}/compliance", params={"from": _iso(start), "to": _iso(end), "format": "csv"}).text

    def channels(self, agreement_id: str, *, lon: float | None = None, lat: float | None = None, at: datetime | None = None) -> list[PlanItem]:
        params = {k: v for k, v in {"lon": lon, "lat": lat, "at": _iso(at) if at else None}.items() if v is not None}
        return [PlanItem.model_validate(i) for i in self._get(f"/v1/agreements/{agreement_id}/channels", **params)["items"]]


    # Zones and export ------------------------------------------------------------------------------
    def zones(self, agreement_id: str) -> list[Zone]:
        return [Zone.model_validate(z) for z in self._get(f"/v1/agreements/{agreement_id}/zones")["items"]]

    def save_zones(self, agreement_id: str, zones: Iterable[Zone], replace: bool = False) -> dict:
        """Create or replace zones given as records (admin): {"saved": n, "removed": n}."""
        body = {"zones": [z.model_dump(mode="json") for z in zones], "replace": replace}
        return self.request("PUT", f"/v1/agreements/{agreement_id}/zones", json=body).json()

    def import_zones(self, agreement_id: str, text: str | bytes, file_format: str = "auto", *, terrain_max: str | None = None,
                     replace: bool = False) -> dict:
        """Send a zone file as it is (ED-318, ED-269, AIXM 5.1, OpenAir, traffic JSON; admin): the
        server reads it. {"format", "imported", "removed", "skipped": [{"element", "reason"}]}."""
        raw = text.encode() if isinstance(text, str) else text
        params = {"format": file_format, "terrain_max": terrain_max, "replace": "true" if replace else None}
        # no Content-Type: the server's guard reads an untyped body (api/middleware.py), the route the format
        return self.request("POST", f"/v1/agreements/{agreement_id}/zones/import", content=raw, params=params).json()

    def export(self, agreement_id: str, file_format: str = "kml") -> str:
        """The agreement as KML, GeoJSON or conflicts CSV: the caller's view (docs/data.md)."""
        return self.request("GET", f"/v1/agreements/{agreement_id}/export", params={"format": file_format}).text


def _sse(lines: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """(data, id) of each Server-Sent Event; comments and pings are skipped."""
    data: list[str] = []
    event_id: str | None = None
    for line in lines:
        if line == "":
            if data:
                yield "\n".join(data), event_id
            data, event_id = [], None
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
