"""A cheating operator with full control of a SQLite store and of the server's log key: it edits the
audit entries, recomputes the whole hash chain, rebuilds the Merkle tree and signs fresh heads. After
this, the store checks out on its own (`audit verify` says OK); only a head a party kept can tell."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Callable

from deconfliction import connect
from deconfliction.rules import audit
from deconfliction.transparency.log import build


def rewrite_history(db_path: str | Path, edit: Callable[[sqlite3.Connection], None]) -> None:
    db = sqlite3.connect(db_path)
    edit(db)
    rows = db.execute("SELECT seq, at, actor, action, subject, payload FROM audit ORDER BY seq").fetchall()
    prev = audit.GENESIS
    for seq, at, actor, action, subject, payload in rows:
        digest = audit.entry_hash(prev, seq, datetime.fromisoformat(at), actor, action, subject, json.loads(payload))
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
        prev = digest
    db.execute("DELETE FROM log_records")
    db.commit()
    db.close()
    system = connect(db_path)  # the log key beside the store: the operator's own
    with system.store.transaction() as tx:
        build(tx, audit.read_all(tx))
    system.tree_head()  # and a freshly signed head over the forged log
    system.close()


def delete_newest(n: int) -> Callable[[sqlite3.Connection], None]:
    return lambda db: db.execute("DELETE FROM audit WHERE seq > (SELECT max(seq) FROM audit) - ?", (n,))


def delete_from_seq(seq: int) -> Callable[[sqlite3.Connection], None]:
    return lambda db: db.execute("DELETE FROM audit WHERE seq >= ?", (seq,))


def rewrite_last(payload: dict) -> Callable[[sqlite3.Connection], None]:
    return lambda db: db.execute("UPDATE audit SET payload = ? WHERE seq = (SELECT max(seq) FROM audit)", (json.dumps(payload, sort_keys=True),))


def swap(seq_a: int, seq_b: int) -> Callable[[sqlite3.Connection], None]:
    """Two entries change places (their numbers stay in order: the chain is recomputed over the new order)."""

    def edit(db: sqlite3.Connection) -> None:
        a = db.execute("SELECT at, actor, action, subject, payload FROM audit WHERE seq = ?", (seq_a,)).fetchone()
        b = db.execute("SELECT at, actor, action, subject, payload FROM audit WHERE seq = ?", (seq_b,)).fetchone()
        for seq, row in ((seq_a, b), (seq_b, a)):
            db.execute("UPDATE audit SET at = ?, actor = ?, action = ?, subject = ?, payload = ? WHERE seq = ?", (*row, seq))

    return edit
