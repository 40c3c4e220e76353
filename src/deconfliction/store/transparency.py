"""The store's part of the transparency log: one mixin for both stores (store/sql.py), and its protocol.
The schema: migrations/006_transparency.sql and 007_party_keys.sql (PostgreSQL: migrations/postgres/).

- `merkle_nodes`: every complete subtree of the audit log's Merkle tree, keyed `index * 64 + level`
  (see transparency/merkle.py), written once when its last leaf arrives: about two rows per entry.
- `tree_heads`: every signed tree head the server gave out, by size (one per write at most).
- `log_keys`: every key the server has signed heads with, so old heads stay checkable.
The leaves are the `audit` rows themselves; nothing here is ever updated or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Protocol

from ..transparency.heads import TreeHead
from .sql import Sql
from ..transparency.statements import PartyKey
from ..transparency.merkle import Node





def node_key(node: Node) -> int:
    level, index = node
    return index * 64 + level


class TransparencyTransaction(Protocol):
    def log_size(self) -> int: ...
    # A write reads the same few subtrees three times (to append its leaves, for the new root, for its
    # receipt's proof) and has just written some of them: each transaction keeps those it has seen.
    # (SqlTransaction.forget() drops them with the rest of what it remembers.)
    _nodes_seen: dict[Node, bytes]
    _latest_head: tuple[TreeHead | None] | None

    def merkle_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        wanted = {node_key(n): n for n in nodes}
        seen = self._nodes_seen
        found = {n: seen[n] for n in wanted.values() if n in seen}
        missing = [key for key, n in wanted.items() if n not in found]
        if missing:
            marks = ", ".join("?" * len(missing))
            rows = self._run(f"SELECT id, hash FROM merkle_nodes WHERE id IN ({marks})", missing).fetchall()
            for key, value in rows:
                found[wanted[key]] = seen[wanted[key]] = bytes(value)
        return found

    def put_merkle_nodes(self, nodes: Iterable[tuple[Node, bytes]]) -> None:
        nodes = list(nodes)
        rows = [(node_key(n), value) for n, value in nodes]
        if rows:
            self._many("INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)", rows)
            self._nodes_seen.update((n, bytes(value)) for n, value in nodes)

    def put_tree_head(self, head: TreeHead) -> None:
        self._run("INSERT INTO tree_heads (size, body) VALUES (?, ?) ON CONFLICT (size) DO NOTHING", (head.size, head.model_dump_json()))
        if self._latest_head is not None and (self._latest_head[0] is None or head.size > self._latest_head[0].size):
            self._latest_head = (head,)

    def latest_tree_head(self) -> TreeHead | None:
        if self._latest_head is None:
            row = self._run("SELECT body FROM tree_heads ORDER BY size DESC LIMIT 1").fetchone()
            self._latest_head = (TreeHead.model_validate_json(row[0]) if row else None,)
        return self._latest_head[0]

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
        inserted = self._one(
            "INSERT INTO party_statements (party_id, nonce, key_id, audit_seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (party_id, nonce) DO NOTHING RETURNING 1",
            (party_id, nonce, key_id, audit_seq),
        )
        return inserted is not None

    # log_size and signatures_required are SqlTransaction's (store/tables.py): both come from what a write already read


def _build_transparency_log(tx) -> None:
    """Migration 5: the Merkle tree over the audit entries stored before it (pure hashing: the store
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
        tx.put_merkle_nodes(completed)
        after = entries[-1].seq
