"""The audit chain: every accepted change, delivery and acknowledgment, hash-chained.

Each entry's hash is SHA-256 over the previous hash and the entry's canonical JSON, so anyone holding
the log can recompute the chain: an edited, removed, inserted or reordered entry breaks it at that
point. Entries are appended inside the transaction of the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..models import AuditEntry
from ..transparency import log as transparency_log
from ..transparency import merkle
from ..transparency.canonical import Encoded, dumps, leaf_bytes

if TYPE_CHECKING:
    from ..store import Transaction

GENESIS = "0" * 64


def chain_hash(prev_hash: str, leaf: bytes) -> str:
    """An entry's hash: over the previous entry's and the entry's canonical JSON, the bytes that are
    also its Merkle leaf (transparency/canonical.leaf_bytes)."""
    return hashlib.sha256(prev_hash.encode() + leaf).hexdigest()


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]) -> str:
    return chain_hash(prev_hash, leaf_bytes(seq, at, actor, action, subject, payload))


def record(tx: Transaction, actor: str, action: str, subject: str, payload: dict[str, Any], now: datetime) -> AuditEntry:
    return record_many(tx, [(actor, action, subject, payload)], now)[0]


def _encoded(payload: dict[str, Any] | Encoded) -> Encoded:
    """The payload's text and the value it reads back as (what is hashed is what is stored). An
    Encoded payload is a JSON value already: nothing to do; any other is encoded once and read back."""
    if isinstance(payload, Encoded):
        return payload
    text = dumps(payload)
    return Encoded(json.loads(text), text)


def record_many(tx: Transaction, items: Iterable[tuple[str, str, str, dict[str, Any] | Encoded]], now: datetime) -> list[AuditEntry]:
    """Append (actor, action, subject, payload) entries in order, chained from one read of the chain's
    head: a filing that opens hundreds of conflicts reads the head once, not once per entry. The
    entries are the ones `record` would write one by one (the writer holds the transaction).

    A payload given as an Encoded (transparency/canonical.py) is not encoded again: its text is
    spliced into the hashed bytes and stored as it is."""
    head = tx.audit_head()
    seq, prev = head if head else (0, GENESIS)
    size_before = seq
    entries, texts, leaves = [], [], []
    for actor, action, subject, payload in items:
        seq += 1
        encoded = _encoded(payload)
        # The chain's hash and the Merkle leaf are over the same bytes: encoded once.
        body = leaf_bytes(seq, now, actor, action, subject, encoded)
        entry = AuditEntry(
            seq=seq, at=now, actor=actor, action=action, subject=subject, payload=encoded.value, prev_hash=prev,
            hash=chain_hash(prev, body),
        )
        entries.append(entry)
        texts.append(encoded.text)
        leaves.append(merkle.leaf_hash(body))
        prev = entry.hash
    tx.append_audits(entries, texts)
    transparency_log.append(tx, entries, size_before, leaves)  # each entry is also a leaf of the Merkle log
    return entries


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None


def verify(entries: Iterable[AuditEntry]) -> Verdict:
    """Recompute the chain; name the first entry that does not fit."""
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            return Verdict(False, count, entry.seq, f"expected entry {expected_seq}, found {entry.seq} (removed or reordered)")
        if entry.prev_hash != prev:
            return Verdict(False, count, entry.seq, "its previous-hash does not match the entry before it")
        recomputed = entry_hash(prev, entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.payload)
        if recomputed != entry.hash:
            return Verdict(False, count, entry.seq, "its content does not match its hash (edited)")
        prev, expected_seq = entry.hash, expected_seq + 1
    return Verdict(True, count)


def read_all(tx: Transaction, batch: int = 5000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        entries = tx.audit_entries(after, batch)
        if not entries:
            return
        yield from entries
        after = entries[-1].seq


def export_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """JSON Lines, one entry a line: the portable form of the log."""
    for entry in entries:
        yield entry.model_dump_json() + "\n"


def read_export(path: str | Path) -> Iterator[AuditEntry]:
    with open(path) as lines:
        for line in lines:
            if line.strip():
                yield AuditEntry.model_validate_json(line)
