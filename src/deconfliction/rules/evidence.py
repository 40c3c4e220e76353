"""The evidence rules: the transparency log's part of a write, and the server's answers to a party's
questions about it (the pure parts are in transparency/).

`sealed` wraps a write's business function: after it, if it added audit entries, a tree head over
them is signed and stored in the same transaction, and a receipt for the write's first entry is made.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, TypeVar

from ..transparency import log
from ..transparency.heads import TreeHead
from ..transparency.keys import SigningKey

T = TypeVar("T")


def sealed(
    tx: Any, work: Callable[[Any], T], key: SigningKey, clock: Callable[[], datetime], pending: Any = None
) -> tuple[T, log.Receipt | None]:
    from .signing import accept

    before = tx.log_size()
    result = work(tx)
    after = tx.log_size()
    if after == before and pending is None:
        return result, None
    entries = tx.audit_entries(before, after - before) if after > before else []
    accept(tx, pending, entries, clock())
    if tx.log_size() == before:
        return result, None
    return result, log.seal_write(tx, key, clock(), before + 1, entries[0] if entries else None)[1]


def latest_head(tx: Any, key: SigningKey, clock: Callable[[], datetime]) -> TreeHead:
    return log.seal(tx, key, clock())


def _known_size(tx: Any, size: int, field: str) -> None:
    from ..errors import InvalidInput

    if size > tx.log_size():
        raise InvalidInput(f"the log has only {tx.log_size()} entries, not {size}", field=field)


def inclusion(tx: Any, index: int, size: int) -> list[bytes]:
    from ..errors import InvalidInput

    _known_size(tx, size, "size")
    if index >= size:
        raise InvalidInput(f"leaf {index} is not in a tree of {size} leaves", field="index")
    return log.inclusion_proof(tx, index, size)


def consistency(tx: Any, old: int, new: int) -> list[bytes]:
    from ..errors import InvalidInput

    _known_size(tx, new, "new")
    if old > new:
        raise InvalidInput(f"size {old} is larger than size {new}", field="old")
    return log.consistency_proof(tx, old, new)


def prove(system: Any, notice_id: str) -> Any:
    """Evidence about one notice: every entry whose subject is the notice or one of its conflicts, or
    that names either (acknowledgments, deadlines), each with its inclusion proof under one signed head."""
    from .audit import read_all
    from ..errors import NotFound
    from ..transparency.offline import Evidence, ProvenEntry

    head = system.tree_head()
    with system.store.transaction(write=False) as tx:
        if tx.get_notice(notice_id) is None:
            raise NotFound(f"no notice {notice_id!r}", field="notice_id")
        subjects = {notice_id} | {c.id for c in tx.conflicts_of_notice(notice_id, open_only=False)}
        chosen = []
        for entry in read_all(tx):
            if entry.seq > head.size:
                break
            if entry.subject in subjects or any(s in json.dumps(entry.payload) for s in subjects):
                chosen.append(entry)
        proven = [
            ProvenEntry(entry=e, leaf_index=e.seq - 1, inclusion_proof=[p.hex() for p in log.inclusion_proof(tx, e.seq - 1, head.size)])
            for e in chosen
        ]
        key_ids = {e.payload.get("key_id") for e in chosen if e.action == "statement.signed"}
        keys = [k.model_dump(mode="json") for k in (tx.get_party_key(i) for i in sorted(key_ids) if i) if k is not None]
    return Evidence(notice_id=notice_id, tree_head=head, entries=proven, party_keys=keys)
