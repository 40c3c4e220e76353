"""The idempotency keys' table on both stores: one row per (caller, key), the reply kept exactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


def test_a_key_is_reserved_once_per_caller_and_keeps_its_reply(any_store):
    with any_store.transaction() as tx:
        tx.reserve_idempotency("blue", "k", "hash-1", "nonce-1", NOW)
        tx.reserve_idempotency("red", "k", "hash-2", "nonce-2", NOW)
    with pytest.raises(Exception):
        with any_store.transaction() as tx:
            tx.reserve_idempotency("blue", "k", "hash-3", "nonce-3", NOW)
    reply = {"headers": [["Location", "/v1/notices/n1"]], "body": '{"a": "é\\u0000"}'}
    with any_store.transaction() as tx:
        assert tx.record_idempotent_reply("blue", "k", "nonce-1", 201, reply)
        assert not tx.record_idempotent_reply("blue", "k", "someone-else", 500, {})
    with any_store.transaction(write=False) as tx:
        blue, red = tx.get_idempotency("blue", "k"), tx.get_idempotency("red", "k")
        assert tx.get_idempotency("green", "k") is None
    assert (blue.request_hash, blue.nonce, blue.status, blue.reply, blue.created_at) == ("hash-1", "nonce-1", 201, reply, NOW)
    assert (red.request_hash, red.status, red.reply) == ("hash-2", None, None)


def test_a_key_keeps_the_result_of_its_write_byte_for_byte(any_store):
    kept = bytes(range(256)) * 3  # every byte value, NUL and invalid UTF-8 among them
    with any_store.transaction() as tx:
        tx.reserve_idempotency("blue", "with", "h", "n", NOW, kept)
        tx.reserve_idempotency("blue", "without", "h", "n", NOW)
    with any_store.transaction(write=False) as tx:
        assert tx.get_idempotency("blue", "with").result == kept
        assert tx.get_idempotency("blue", "without").result is None


def test_old_keys_are_forgotten(any_store):
    with any_store.transaction() as tx:
        tx.reserve_idempotency("blue", "old", "h", "n", NOW - timedelta(days=2))
        tx.reserve_idempotency("blue", "new", "h", "n", NOW)
    with any_store.transaction() as tx:
        assert tx.forget_idempotency(NOW - timedelta(days=1)) == 1
    with any_store.transaction(write=False) as tx:
        assert tx.get_idempotency("blue", "old") is None and tx.get_idempotency("blue", "new") is not None


def test_forget_old_drops_every_key_past_the_retention_and_keeps_the_rest(any_store):
    from deconfliction.rules.idempotency import forget_old

    with any_store.transaction() as tx:
        for i in range(1203):
            tx.reserve_idempotency("blue", f"old-{i}", "h", "n", NOW - timedelta(days=2))
        tx.reserve_idempotency("blue", "fresh", "h", "n", NOW - timedelta(hours=1))
    assert forget_old(any_store, NOW) == 1203
    with any_store.transaction(write=False) as tx:
        assert tx.get_idempotency("blue", "fresh") is not None and tx.get_idempotency("blue", "old-7") is None
