"""The store's part of the transparency log: one mixin for both stores (store/sql.py), and its protocol.
The schema: migrations/006_transparency.sql and 007_party_keys.sql (PostgreSQL: migrations/postgres/).

- `merkle_nodes`: every complete subtree of the audit log's Merkle tree, keyed `index * 64 + level`
  (see transparency/merkle.py), written once when its last leaf arrives: about two rows per entry.
- `tree_heads`: every signed tree head the server gave out, by size (one per write at most).
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
    """A subtree's row id, in the order subtrees are completed: the subtree of level L and index i is
    completed by leaf number m = (i + 1) * 2**L, so `m * 64 + L` makes every write's new subtrees the
    largest ids so far, side by side at the table's right edge. On SQLite a write then dirties one page of
    the table, where ids by position (`i * 64 + L`, before migration 009) put each level on its own page
    (bench/evidence.py). The ids of one leaf count differ by level (< 64)."""
    level, index = node
    return ((index + 1) << level) * 64 + level


def _position_key(node: Node) -> int:
    """The ids of migration 006 (by position), which migration 009 renumbers as `node_key`."""
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
        rows = self._run(f"SELECT id, hash FROM merkle_nodes WHERE id IN ({marks})", list(wanted)).fetchall()
        return {wanted[key]: bytes(value) for key, value in rows}

    def put_merkle_nodes(self, nodes: Iterable[tuple[Node, bytes]]) -> None:
        rows = [(node_key(n), value) for n, value in nodes]
        if rows:
            self._many("INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)", rows)

    def put_tree_head(self, head: TreeHead) -> None:
        self._run("INSERT INTO tree_heads (size, body) VALUES (?, ?) ON CONFLICT (size) DO NOTHING", (head.size, head.model_dump_json()))

    def latest_tree_head(self) -> TreeHead | None:
        row = self._run("SELECT body FROM tree_heads ORDER BY size DESC LIMIT 1").fetchone()
        return TreeHead.model_validate_json(row[0]) if row else None

    def tree_head(self, size: int) -> TreeHead | None:
        row = self._run("SELECT body FROM tree_heads WHERE size = ?", (size,)).fetchone()
        return TreeHead.model_validate_json(row[0]) if row else None

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
        if completed:  # in 006's ids: migration 009, which follows, renumbers them with the rest
            tx._many("INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)", [(_position_key(n), v) for n, v in completed])
        after = entries[-1].seq
