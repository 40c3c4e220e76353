"""The audit log as a Merkle tree inside the store: appending leaves, sealing signed heads, proofs.

Every function runs inside the caller's store transaction, so a leaf, the subtrees it completes and
the head that covers it commit (or roll back) with the change they record. A write reads the tree's
frontier once (at most one stored subtree per level), adds its leaves in memory, and inserts the
subtrees they complete: no leaf is ever hashed twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from pydantic import BaseModel, Field

from ..models import AuditEntry
from . import merkle
from .canonical import leaf_bytes
from .heads import TreeHead, sign_head
from .keys import SigningKey


def entry_leaf(entry: AuditEntry) -> bytes:
    """The leaf hash of an audit entry: SHA-256(0x00 || the entry's canonical JSON)."""
    return merkle.leaf_hash(leaf_bytes(entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.payload))


def append(tx, entries: Sequence[AuditEntry], size_before: int, leaves: Sequence[bytes] | None = None) -> None:
    """Add `entries` (leaves size_before, size_before + 1, …) to the tree of `size_before` leaves.
    `leaves`: their leaf hashes (entry_leaf) when the caller has them already."""
    if not entries:
        return
    wanted = merkle.frontier_nodes(size_before)
    stored = tx.merkle_nodes(wanted)
    frontier = [(node, stored[node]) for node in wanted]
    completed: list[tuple[merkle.Node, bytes]] = []
    size = size_before
    for k, entry in enumerate(entries):
        if entry.seq != size + 1:
            raise ValueError(f"audit entry {entry.seq} is not the next leaf ({size + 1})")
        leaf = entry_leaf(entry) if leaves is None else leaves[k]
        size = merkle.append(frontier, size, leaf, lambda node, value: completed.append((node, value)))
    tx.put_merkle_nodes(completed)


def build(tx, entries: Iterable[AuditEntry]) -> int:
    """The whole tree over entries already stored (a migration of an older store); returns its size."""
    frontier: list[tuple[merkle.Node, bytes]] = []
    completed: list[tuple[merkle.Node, bytes]] = []
    size = 0
    for entry in entries:
        size = merkle.append(frontier, size, entry_leaf(entry), lambda node, value: completed.append((node, value)))
        if len(completed) > 10000:
            tx.put_merkle_nodes(completed)
            completed.clear()
    tx.put_merkle_nodes(completed)
    return size


def root(tx, size: int) -> bytes:
    return merkle.root_hash(size, tx.merkle_nodes(merkle.root_nodes(size)))


def seal(tx, key: SigningKey, now: datetime) -> TreeHead:
    """The latest signed head, signing a new one if the log has grown since (or the key changed)."""
    size = tx.log_size()
    latest = tx.latest_tree_head()
    if latest is not None and latest.size == size and latest.log_id == key.id:
        return latest
    head = sign_head(key, size, root(tx, size), now)
    if latest is None or latest.log_id != key.id:
        tx.put_log_key(key.id, key.public_b64, now)  # a key's first head: keep the key for old heads' sake
    tx.put_tree_head(head)
    return head


def seal_write(tx, key: SigningKey, now: datetime, first_seq: int, entry: AuditEntry | None) -> tuple[TreeHead, "Receipt"]:
    """A write's head and receipt, for a log that this transaction has grown to `tx.log_size()` (so no
    stored head covers it yet): the root and the inclusion proof come from one read of the subtrees
    both need, and the head is signed once. The per-write part of what a filing costs (bench/evidence.py)."""
    size = tx.log_size()
    index = first_seq - 1
    stored = tx.merkle_nodes({*merkle.root_nodes(size), *merkle.inclusion_nodes(index, size)})
    head = sign_head(key, size, merkle.root_hash(size, stored), now)
    tx.put_log_key(key.id, key.public_b64, now)  # kept on its first head (a no-op after): old heads stay checkable
    tx.put_tree_head(head)
    entry = entry if entry is not None and entry.seq == first_seq else tx.audit_entries(index, 1)[0]
    proof = merkle.inclusion_proof(index, size, stored)
    return head, Receipt(leaf_index=index, leaf_count=size - index, entry=entry, tree_head=head, inclusion_proof=[p.hex() for p in proof])


def inclusion_proof(tx, index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(index, size, tx.merkle_nodes(merkle.inclusion_nodes(index, size)))


def consistency_proof(tx, old: int, new: int) -> list[bytes]:
    return merkle.consistency_proof(old, new, tx.merkle_nodes(merkle.consistency_nodes(old, new)))


class Receipt(BaseModel):
    """What a write's reply carries: where its first audit entry sits in the log, a signed head that
    covers it, and the proof that it does. Keep it: with it, the entry's removal or change is provable."""

    leaf_index: int = Field(ge=0, description="the first audit entry of the write, as a 0-based leaf index (entry seq - 1)")
    leaf_count: int = Field(ge=1, description="how many entries the write added (leaves leaf_index … leaf_index + leaf_count - 1)")
    entry: AuditEntry = Field(description="the first entry itself: its leaf hash is SHA-256(0x00 || canonical JSON)")
    tree_head: TreeHead
    inclusion_proof: list[str] = Field(description="RFC 9162 audit path of leaf_index in the head's tree, hex")


def make_receipt(tx, first_seq: int, head: TreeHead, entry: AuditEntry | None = None) -> Receipt:
    index = first_seq - 1
    entry = entry if entry is not None and entry.seq == first_seq else tx.audit_entries(index, 1)[0]
    proof = inclusion_proof(tx, index, head.size)
    return Receipt(
        leaf_index=index, leaf_count=head.size - index, entry=entry, tree_head=head, inclusion_proof=[p.hex() for p in proof]
    )


def check_receipt(receipt: Receipt, trusted_public_key: str | None = None) -> None:
    """Raise (HeadError or ProofError) unless the receipt's entry is in the tree its signed head names."""
    from .heads import verify_head

    verify_head(receipt.tree_head, trusted_public_key)
    if receipt.entry.seq != receipt.leaf_index + 1:
        raise merkle.ProofError("the receipt's entry is not the leaf it names")
    merkle.verify_inclusion(
        receipt.leaf_index, receipt.tree_head.size, entry_leaf(receipt.entry), [bytes.fromhex(p) for p in receipt.inclusion_proof], receipt.tree_head.root
    )
