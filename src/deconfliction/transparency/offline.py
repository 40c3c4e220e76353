"""Checks that need no server: a log (the store's entries or an export) against a head a party kept,
and evidence files about one notice (`audit prove` / `audit check`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from pydantic import BaseModel, Field

from ..models import AuditEntry
from . import merkle
from .heads import HeadError, TreeHead, verify_cosignatures, verify_head
from .log import entry_leaf

EVIDENCE_FORMAT = "deconfliction-evidence/1"


@dataclass(frozen=True)
class HeadVerdict:
    ok: bool
    entries: int
    head_size: int
    reason: str | None = None
    kind: str | None = None  # truncated, rewritten, bad_signature


def verify_against_head(entries: Iterable[AuditEntry], head: TreeHead, trusted_public_key: str | None = None) -> HeadVerdict:
    """Does this log still contain, unchanged and in order, the `head.size` entries the head was signed
    over? The tree is rebuilt from the entries' content: nothing the operator stored beside them counts."""
    try:
        verify_head(head, trusted_public_key)
        verify_cosignatures(head)
    except HeadError as exc:
        return HeadVerdict(False, 0, head.size, f"the head itself does not hold: {exc}", "bad_signature")
    tree, count = merkle.MemoryTree(), 0
    for entry in entries:
        count += 1
        if entry.seq != count:
            return HeadVerdict(False, count, head.size, f"entry {count} is missing or out of place (found entry {entry.seq} there): removed or reordered", "rewritten")
        tree.append(entry_leaf(entry))
    if count < head.size:
        return HeadVerdict(False, count, head.size, f"the log has {count} entries, but the head you kept was signed over {head.size}: truncated", "truncated")
    if tree.root(head.size) != head.root:
        return HeadVerdict(False, count, head.size, f"the first {head.size} entries no longer hash to the root of the head you kept: rewritten or reordered", "rewritten")
    return HeadVerdict(True, count, head.size)


class ProvenEntry(BaseModel):
    entry: AuditEntry
    leaf_index: int
    inclusion_proof: list[str]


class Evidence(BaseModel):
    """Self-contained: the entries about one notice, each with its inclusion proof under one signed head."""

    format: str = Field(EVIDENCE_FORMAT)
    notice_id: str
    tree_head: TreeHead
    entries: list[ProvenEntry]
    party_keys: list[dict[str, Any]] = Field(default_factory=list, description="public keys of the parties whose signatures the entries carry")


class EvidenceError(ValueError):
    pass


def check_evidence(evidence: Evidence, trusted_public_key: str | None = None) -> list[AuditEntry]:
    """Raise EvidenceError naming what does not hold; return the proven entries."""
    if evidence.format != EVIDENCE_FORMAT:
        raise EvidenceError(f"unknown evidence format {evidence.format!r}")
    try:
        verify_head(evidence.tree_head, trusted_public_key)
        verify_cosignatures(evidence.tree_head)
    except HeadError as exc:
        raise EvidenceError(f"tree head: {exc}") from None
    if not evidence.entries:
        raise EvidenceError("the evidence holds no entries")
    for item in evidence.entries:
        if item.entry.seq != item.leaf_index + 1:
            raise EvidenceError(f"entry {item.entry.seq} claims to be leaf {item.leaf_index}")
        try:
            merkle.verify_inclusion(
                item.leaf_index, evidence.tree_head.size, entry_leaf(item.entry),
                [bytes.fromhex(p) for p in item.inclusion_proof], evidence.tree_head.root,
            )
        except (merkle.ProofError, ValueError) as exc:
            raise EvidenceError(f"entry {item.entry.seq} ({item.entry.action} {item.entry.subject}) is not in the signed log: {exc}") from None
    _check_statements(evidence)
    return [item.entry for item in evidence.entries]


def _check_statements(evidence: Evidence) -> None:
    """Each party statement in the evidence holds under the party's key given with it."""
    from .statements import PartyKey, Presented, SignedRequest, signature_holds

    keys = {}
    for raw in evidence.party_keys:
        try:
            key = PartyKey.model_validate(raw)
        except ValueError as exc:
            raise EvidenceError(f"a party key in the evidence is malformed: {exc}") from None
        keys[key.key_id] = key
    for item in evidence.entries:
        entry = item.entry
        if entry.action != "statement.signed":
            continue
        key = keys.get(entry.payload.get("key_id"))
        if key is None or key.party_id != entry.actor:
            raise EvidenceError(f"entry {entry.seq}: the key of {entry.actor}'s signed statement is not in the evidence")
        try:
            statement = Presented(key_id=key.key_id, signature=entry.payload["signature"], statement=SignedRequest.model_validate(entry.payload["statement"]))
        except (KeyError, ValueError) as exc:
            raise EvidenceError(f"entry {entry.seq}: malformed signed statement: {exc}") from None
        if statement.statement.party != entry.actor or not signature_holds(key, statement):
            raise EvidenceError(f"entry {entry.seq}: {entry.actor}'s signature does not hold under key {key.key_id[:16]}…")
