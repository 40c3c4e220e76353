"""The client's side of witnessing: every head a server shows (in a write's receipt, beside events,
or asked for at first contact) goes through the party's `Witness`, with the server's own consistency
proofs. A receipt whose proof does not hold raises at once: the write was answered, but not recorded
as claimed."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import httpx

from .heads import HeadError, TreeHead
from .log import Receipt, check_receipt
from .merkle import ProofError
from .witness import LogAlarm, Witness

RECEIPT_HEADER = "deconfliction-receipt"
HEAD_HEADER = "deconfliction-tree-head"


def decode_header(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def default_witness() -> Witness:
    folder = os.environ.get("DECONFLICTION_WITNESS_DIR")
    return Witness(folder) if folder else Witness()


class Unchecked(Exception):
    """The server could not give a proof just now (unreachable, failing over): no verdict either way."""


class LogWatch:
    def __init__(self, http: httpx.Client, server: str, witness: Witness | None):
        self.http, self.server, self.witness = http, server.rstrip("/"), witness
        self.receipts: list[Receipt] = []  # every receipt of this session, checked
        self._contacted = False

    def consistency(self, old: int, new: int) -> list[bytes]:
        try:
            response = self.http.get("/v1/log/proofs/consistency", params={"old": old, "new": new})
        except httpx.TransportError as exc:
            raise Unchecked(str(exc)) from exc
        if response.status_code in (429, 502, 503, 504):  # unavailable now (e.g. failing over): not an answer
            raise Unchecked(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise LogAlarm("rewritten", f"the server gives no consistency proof from size {old} to {new} (HTTP {response.status_code})")
        return [bytes.fromhex(p) for p in response.json()["proof"]]

    def observe(self, head: TreeHead, latest: bool = False, kept_before: Any = None) -> None:
        if self.witness is None:
            return
        try:
            if latest:
                self.witness.observe(self.server, head, self.consistency, latest, kept_before)
            else:
                self.witness.observe(self.server, head, self.consistency)
        except Unchecked:
            pass  # the server could not prove it now: the kept head stays, and the next contact checks again

    def observe_event(self, data: str) -> None:
        if self.witness is not None and '"tree_head"' in data:
            head = json.loads(data).get("tree_head")
            if head:
                self.observe(TreeHead.model_validate(head))

    def first_contact(self) -> None:
        """Once per session: the server's latest head, checked against the one kept from before."""
        if self._contacted or self.witness is None:
            return
        self._contacted = True
        before = self.witness.kept(self.server)
        response = self.http.get("/v1/log/head")
        if response.status_code == 200:  # a token that may not read (or an older server) has nothing to check
            self.observe(TreeHead.model_validate(response.json()), latest=True, kept_before=before)

    def after(self, response: httpx.Response) -> None:
        raw = response.headers.get(RECEIPT_HEADER)
        if raw:
            receipt = Receipt.model_validate_json(decode_header(raw))
            try:
                check_receipt(receipt)
            except (HeadError, ProofError) as exc:
                raise LogAlarm("bad_receipt", f"the receipt of {response.request.method} {response.request.url.path} does not hold: {exc}", seen=receipt.tree_head) from None
            self.receipts.append(receipt)
            self.observe(receipt.tree_head)
        raw = response.headers.get(HEAD_HEADER)
        if raw:
            self.observe(TreeHead.model_validate_json(decode_header(raw)))


def head_header(head: TreeHead) -> dict[str, Any]:
    return {HEAD_HEADER: base64.urlsafe_b64encode(head.model_dump_json().encode()).rstrip(b"=").decode()}


def with_head(event: Any, head: TreeHead | None) -> str:
    """An event as SSE data, with the latest signed head of the log beside its fields."""
    if head is None:
        return event.model_dump_json()
    return event.model_dump_json()[:-1] + ',"tree_head":' + head.model_dump_json() + "}"
