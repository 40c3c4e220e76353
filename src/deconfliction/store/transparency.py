"""The store's part of the transparency log: one mixin for both stores (store/sql.py), and its protocol.
The schema: migrations/006_transparency.sql, 007_party_keys.sql and 010_log_records.sql (PostgreSQL:
migrations/postgres/).

- `log_records`: the log's records in the order they are made, each an id and bytes: every complete
  subtree of the audit log's Merkle tree (its hash), written once when its last leaf arrives (about two
  per entry), and after a write's subtrees the tree head signed over them (its JSON; one per size).
  Ids in that order put a write's new records side by side at the table's end: its commit writes one
  page of the log (bench/evidence.py), where a table per kind, keyed by position, wrote one per level
  and one for the head (schema 6 to 9: `merkle_nodes`, `tree_heads`).
- `log_keys`: every key the server has signed heads with, so old heads stay checkable.
The leaves are the `audit` rows themselves; nothing here is ever updated or deleted.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Protocol

from ..transparency.heads import TreeHead
from .sql import Sql
from ..transparency.statements import PartyKey
from ..transparency.merkle import Node





def node_key(node: Node) -> int:
    """A subtree's record id: the subtree of level L and index i is completed by leaf number
    m = (i + 1) * 2**L, so `m * 64 + L` orders subtrees as they are completed (the ids of one leaf's
    subtrees differ by level, < 63)."""
    level, index = node
    return ((index + 1) << level) * 64 + level


HEAD = 63  # the head signed over the first m leaves is record m * 64 + 63: right after the subtrees leaf m completes


# Record ids are signed 64-bit integers on both stores: m * 64 + 63 < 2**63 bounds the log at 2**57 leaves.
MAX_LOG_SIZE = 2**57 - 1


def head_key(size: int) -> int:
    return size * 64 + HEAD


def _position_key(node: Node) -> int:
    """The ids of migration 006 (by position), which migration 010 renumbers as `node_key`."""
    level, index = node
    return index * 64 + level


class TransparencyTransaction(Protocol):
    def log_size(self) -> int: ...
    def merkle_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]: ...
    def put_merkle_nodes(self, nodes: Iterable[tuple[Node, bytes]]) -> None: ...
    def put_tree_head(self, head: TreeHead) -> None: ...
    def latest_tree_head(self) -> TreeHead | None: ...
    def tree_head(self, size: int) -> TreeHead | None: ...
    def put_log_key(self, key_id: str, public_key: str, now: datetime) -> None: ...
    def log_keys(self) -> list[tuple[str, str]]: ...
    def put_party_key(self, key: PartyKey) -> None: ...
    def get_party_key(self, key_id: str) -> PartyKey | None: ...
    def party_keys(self, party_id: str) -> list[PartyKey]: ...
    def add_party_statement(self, party_id: str, nonce: str, key_id: str, audit_seq: int) -> bool:
        """False if the party already used this nonce (a replay)."""
    def signatures_required(self, agreement_id: str) -> bool: ...


class TransparencyTables(Sql):
    """Mixed into SqlTransaction (store/tables.py): both backends."""

    def log_size(self) -> int:
        return self._run("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]

    def merkle_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        wanted = {node_key(n): n for n in nodes}
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = self._run(f"SELECT id, value FROM log_records WHERE id IN ({marks})", list(wanted)).fetchall()
        return {wanted[key]: bytes(value) for key, value in rows}

    def put_merkle_nodes(self, nodes: Iterable[tuple[Node, bytes]]) -> None:
        rows = [(node_key(n), value) for n, value in nodes]
        if rows:
            self._many("INSERT INTO log_records (id, value) VALUES (?, ?)", rows)

    def put_tree_head(self, head: TreeHead) -> None:
        self._run("INSERT INTO log_records (id, value) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", (head_key(head.size), head.model_dump_json().encode()))

    def latest_tree_head(self) -> TreeHead | None:
        # read backwards from the end, where the newest head is (at most a write's subtrees after it)
        row = self._run(f"SELECT value FROM log_records WHERE (id & 63) = {HEAD} ORDER BY id DESC LIMIT 1").fetchone()
        return TreeHead.model_validate_json(bytes(row[0])) if row else None

    def tree_head(self, size: int) -> TreeHead | None:
        if not 0 <= size <= MAX_LOG_SIZE:
            return None  # no log has that many entries (and no id could name its head)
        row = self._run("SELECT value FROM log_records WHERE id = ?", (head_key(size),)).fetchone()
        return TreeHead.model_validate_json(bytes(row[0])) if row else None

    def put_log_key(self, key_id: str, public_key: str, now: datetime) -> None:
        self._run(
            "INSERT INTO log_keys (key_id, public_key, first_used) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING",
            (key_id, public_key, self.at(now)),
        )

    def log_keys(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._run("SELECT key_id, public_key FROM log_keys ORDER BY first_used, key_id").fetchall()]

    def put_party_key(self, key: PartyKey) -> None:
        self._run(
            "INSERT INTO party_keys (key_id, party_id, body) VALUES (?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET body = excluded.body",
            (key.key_id, key.party_id, key.model_dump_json()),
        )

    def get_party_key(self, key_id: str) -> PartyKey | None:
        row = self._run("SELECT body FROM party_keys WHERE key_id = ?", (key_id,)).fetchone()
        return PartyKey.model_validate_json(row[0]) if row else None

    def party_keys(self, party_id: str) -> list[PartyKey]:
        rows = self._run("SELECT body FROM party_keys WHERE party_id = ? ORDER BY key_id", (party_id,)).fetchall()
        return sorted((PartyKey.model_validate_json(r[0]) for r in rows), key=lambda k: (k.valid_from, k.key_id))

    def add_party_statement(self, party_id: str, nonce: str, key_id: str, audit_seq: int) -> bool:
        cursor = self._run(
            "INSERT INTO party_statements (party_id, nonce, key_id, audit_seq) VALUES (?, ?, ?, ?) ON CONFLICT (party_id, nonce) DO NOTHING",
            (party_id, nonce, key_id, audit_seq),
        )
        return cursor.rowcount == 1

    def signatures_required(self, agreement_id: str) -> bool:
        """The agreement's one flag, without validating the whole agreement (every write asks)."""
        row = self._run("SELECT body FROM agreements WHERE id = ?", (agreement_id,)).fetchone()
        return bool(row and json.loads(row[0]).get("signatures_required"))



def _build_transparency_log(tx) -> None:
    """Migration 6: the Merkle tree over the audit entries stored before it (pure hashing: the store
    depends on no rules)."""
    from ..transparency import merkle
    from ..transparency.canonical import leaf_bytes

    frontier: list = []
    size, after = 0, 0
    while True:
        entries = tx.audit_entries(after, 5000)
        if not entries:
            return
        completed: list = []
        for e in entries:
            leaf = merkle.leaf_hash(leaf_bytes(e.seq, e.at, e.actor, e.action, e.subject, e.payload))
            size = merkle.append(frontier, size, leaf, lambda node, value: completed.append((node, value)))
        if completed:  # into 006's table, in its ids: migration 010, which follows, moves them with the rest
            tx._many("INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)", [(_position_key(n), v) for n, v in completed])
        after = entries[-1].seq
