"""The log kept by the stores: every write's receipt proves its entry under a signed head, and what the
store answers (roots, inclusion and consistency proofs) agrees with a tree rebuilt from the entries'
content alone. Both backends; and an older store gets its tree when it is upgraded."""

from __future__ import annotations

import itertools

import pytest

from deconfliction import Deconfliction
from deconfliction.rules import audit
from deconfliction.models import AuditEntry
from deconfliction.store import SQLiteStore
from deconfliction.transparency import merkle
from deconfliction.transparency.heads import verify_head
from deconfliction.transparency.log import check_receipt, entry_leaf
from deconfliction.transparency.receipts import collecting
from factories import FixedClock, circle_volume, example_agreement
from store.backends import postgres_database_at_schema, sqlite_file_at_schema


def rebuilt(system: Deconfliction) -> merkle.MemoryTree:
    """The tree from the entries' content, as a party holding an export would build it."""
    tree = merkle.MemoryTree()
    for entry in system.audit_entries(0, 10**6):
        tree.append(entry_leaf(entry))
    return tree


def file_a_few(system: Deconfliction, clock: FixedClock, n: int) -> list:
    receipts = []
    for i in range(n):
        with collecting() as got:
            system.file_notice("blue" if i % 2 else "red", "pact", [circle_volume(clock.now, lon=2.0 + i * 0.5)])
        receipts.extend(got)
    return receipts


def test_every_write_gets_a_receipt_that_proves_its_entry_under_a_signed_head(any_system):
    receipts = file_a_few(any_system, any_system.clock, 6)
    assert len(receipts) == 6
    for receipt in receipts:
        check_receipt(receipt, any_system.log_key.public_b64)
        assert receipt.entry.action == "notice.filed"
    tree = rebuilt(any_system)
    last = receipts[-1].tree_head
    assert last.size == tree.size and last.root == tree.root()


def test_proofs_the_store_serves_agree_with_a_tree_rebuilt_from_the_entries(any_system):
    file_a_few(any_system, any_system.clock, 5)
    tree = rebuilt(any_system)
    size = tree.size
    for index in range(size):
        assert any_system.inclusion_proof(index, size) == tree.inclusion_proof(index)
    for old, new in itertools.combinations(range(size + 1), 2):
        proof = any_system.consistency_proof(old, new)
        assert proof == tree.consistency_proof(old, new)
        merkle.verify_consistency(old, new, tree.root(old), tree.root(new), proof)


def test_every_head_given_out_is_signed_and_extends_the_ones_before(any_system):
    file_a_few(any_system, any_system.clock, 4)
    any_system.add_party(any_system.party("green"))  # a write that is not a filing
    heads = [any_system.signed_tree_head(size) for size in range(1, any_system.tree_head().size + 1)]
    heads = [h for h in heads if h is not None]
    assert len(heads) >= 5
    for head in heads:
        verify_head(head, any_system.log_key.public_b64)
    for a, b in zip(heads, heads[1:]):
        merkle.verify_consistency(a.size, b.size, a.root, b.root, any_system.consistency_proof(a.size, b.size))


def test_a_write_that_is_refused_leaves_no_leaf_and_no_head(any_system):
    clock = any_system.clock
    first = any_system.file_notice("blue", "pact", [circle_volume(clock.now)])
    before = any_system.tree_head()
    with collecting() as got, pytest.raises(Exception):
        any_system.file_notice("red", "pact", [circle_volume(clock.now)])  # no key: refused
    assert got == []
    assert any_system.tree_head() == before and first.notice.id


def test_proofs_beyond_the_log_are_refused_naming_the_field(any_system):
    from deconfliction.errors import InvalidInput

    size = any_system.tree_head().size
    with pytest.raises(InvalidInput) as refused:
        any_system.inclusion_proof(0, size + 1)
    assert refused.value.field == "size"
    with pytest.raises(InvalidInput) as refused:
        any_system.consistency_proof(size, size - 1)
    assert refused.value.field == "old"


def _old_entries(n: int) -> list[AuditEntry]:
    """Entries as a store before the transparency log wrote them: the hash chain only."""
    clock, prev, out = FixedClock(), audit.GENESIS, []
    for seq in range(1, n + 1):
        payload = {"n": seq, "text": "before the log"}
        digest = audit.entry_hash(prev, seq, clock.now, "admin", "party.saved", f"p{seq}", payload)
        out.append(AuditEntry(seq=seq, at=clock.now, actor="admin", action="party.saved", subject=f"p{seq}", payload=payload, prev_hash=prev, hash=digest))
        prev = digest
    return out


def _check_upgraded(system: Deconfliction, old: list[AuditEntry]) -> None:
    expected = merkle.MemoryTree()
    for entry in old:
        expected.append(entry_leaf(entry))
    system.add_agreement(example_agreement())
    head = system.tree_head()
    assert head.size > len(old)
    merkle.verify_consistency(len(old), head.size, expected.root(), head.root, system.consistency_proof(len(old), head.size))
    assert system.verify_audit().ok


def test_an_older_sqlite_store_gets_the_tree_of_its_entries_when_upgraded(tmp_path):
    old = _old_entries(37)

    def fill(connection):
        connection.executemany(
            "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.seq, e.at.isoformat(), e.actor, e.action, e.subject, audit.json.dumps(e.payload, sort_keys=True), e.prev_hash, e.hash) for e in old],
        )

    system = Deconfliction(SQLiteStore(sqlite_file_at_schema(tmp_path / "old.db", 4, fill)), clock=FixedClock())
    try:
        _check_upgraded(system, old)
    finally:
        system.close()


def test_an_older_postgres_database_gets_the_tree_of_its_entries_when_upgraded():
    from deconfliction.store.postgres import PostgresStore

    old = _old_entries(37)

    def fill(connection):
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(e.seq, e.at, e.actor, e.action, e.subject, audit.json.dumps(e.payload, sort_keys=True), e.prev_hash, e.hash) for e in old],
            )

    with postgres_database_at_schema(4, fill) as url:
        system = Deconfliction(PostgresStore(url, max_size=4), clock=FixedClock())
        try:
            _check_upgraded(system, old)
        finally:
            system.close()


def test_party_keys_rotate_and_revoke_and_a_nonce_is_claimed_once_on_every_backend(any_system):
    from deconfliction.transparency.keys import SigningKey

    first, second = SigningKey.generate(), SigningKey.generate()
    clock = any_system.clock
    any_system.add_party_key("blue", first.public_b64)
    later = clock.now.replace(year=clock.now.year + 1)
    any_system.add_party_key("blue", second.public_b64, valid_from=later)
    revoked = any_system.revoke_party_key("blue", first.id)
    keys = {k.key_id: k for k in any_system.party_keys("blue")}
    assert keys[first.id].revoked_at == revoked.revoked_at and keys[second.id].valid_from == later
    assert keys[first.id].usable_at(clock.now) and keys[second.id].usable_at(later) is None
    with any_system.store.transaction() as tx:
        assert tx.add_party_statement("blue", "nonce-0001", first.id, 1) is True
        assert tx.add_party_statement("blue", "nonce-0001", first.id, 2) is False  # a replay
        assert tx.add_party_statement("red", "nonce-0001", first.id, 3) is True  # nonces are per party


def _position_keyed_nodes(old: list[AuditEntry]) -> list[tuple[int, bytes]]:
    """The subtrees of the entries' tree as schemas 6 to 9 stored them: id = index * 64 + level."""
    frontier, size, rows = [], 0, []
    for entry in old:
        size = merkle.append(frontier, size, entry_leaf(entry), lambda node, value: rows.append((node[1] * 64 + node[0], value)))
    return rows


def _old_head(old: list[AuditEntry]):
    """A head that schema 9 kept in tree_heads, signed over the old entries."""
    from deconfliction.transparency.heads import sign_head
    from deconfliction.transparency.keys import SigningKey

    tree = merkle.MemoryTree()
    for entry in old:
        tree.append(entry_leaf(entry))
    return sign_head(SigningKey.generate(), tree.size, tree.root(), FixedClock().now)


def _check_proofs_after_renumbering(system: Deconfliction, old: list[AuditEntry], head) -> None:
    tree = merkle.MemoryTree()
    for entry in old:
        tree.append(entry_leaf(entry))
    size = len(old)
    assert system.signed_tree_head(size) == head and system.latest_tree_head() == head  # carried over, still checkable
    verify_head(head)
    for index in range(size):
        assert system.inclusion_proof(index, size) == tree.inclusion_proof(index)
    for smaller in range(size):
        assert system.consistency_proof(smaller, size) == tree.consistency_proof(smaller, size)
    _check_upgraded(system, old)  # and the next write appends to the renumbered tree


def test_a_sqlite_store_of_schema_9_keeps_its_proofs_and_heads_when_its_log_records_are_renumbered(tmp_path):
    old = _old_entries(45)
    head = _old_head(old)

    def fill(connection):
        connection.execute("INSERT INTO tree_heads (size, body) VALUES (?, ?)", (head.size, head.model_dump_json()))
        connection.executemany(
            "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.seq, e.at.isoformat(), e.actor, e.action, e.subject, audit.json.dumps(e.payload, sort_keys=True), e.prev_hash, e.hash) for e in old],
        )
        connection.executemany("INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)", _position_keyed_nodes(old))

    system = Deconfliction(SQLiteStore(sqlite_file_at_schema(tmp_path / "nine.db", 9, fill)), clock=FixedClock())
    try:
        _check_proofs_after_renumbering(system, old, head)
    finally:
        system.close()


def test_a_postgres_database_of_schema_9_keeps_its_proofs_and_heads_when_its_log_records_are_renumbered():
    from deconfliction.store.postgres import PostgresStore

    old = _old_entries(45)
    head = _old_head(old)

    def fill(connection):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO tree_heads (size, body) VALUES (%s, %s)", (head.size, head.model_dump_json()))
            cursor.executemany(
                "INSERT INTO audit (seq, at, actor, action, subject, payload, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(e.seq, e.at, e.actor, e.action, e.subject, audit.json.dumps(e.payload, sort_keys=True), e.prev_hash, e.hash) for e in old],
            )
            cursor.executemany("INSERT INTO merkle_nodes (id, hash) VALUES (%s, %s)", _position_keyed_nodes(old))

    with postgres_database_at_schema(9, fill) as url:
        system = Deconfliction(PostgresStore(url, max_size=4), clock=FixedClock())
        try:
            _check_proofs_after_renumbering(system, old, head)
            with pytest.raises(Exception, match="append-only"):  # the renumbered table keeps its trigger
                with system.store.transaction() as tx:
                    tx._run("DELETE FROM log_records")
        finally:
            system.close()


def test_a_head_of_a_size_no_log_can_reach_is_simply_not_there(any_system):
    file_a_few(any_system, any_system.clock, 1)
    size = any_system.tree_head().size
    assert any_system.signed_tree_head(size) is not None
    for beyond in (size + 1, 2**57, 2**57 + 1, 2**63, 2**70, -1):  # record ids are 64-bit: m * 64 + 63 overflows past 2**57
        assert any_system.signed_tree_head(beyond) is None
