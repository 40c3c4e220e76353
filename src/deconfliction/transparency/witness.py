"""Witnessing: a party keeps the last signed head it saw from each server and checks that every head
it sees later extends it.

The kept head lives in a small file per server URL (`~/.config/deconfliction/witness/`, or a folder
given). A head is accepted only if its signature holds under the log key first seen from that server
and, when it is larger than the kept one, the server proves it consistent (RFC 9162). Otherwise a
`LogAlarm` is raised, naming what happened, and both signed heads are saved beside the kept one as
`alarm-*.json`: two heads signed by the server's own key that no proof joins are evidence anyone can
check.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from .heads import HeadError, TreeHead, verify_head
from .keys import config_dir
from .merkle import ProofError, verify_consistency

ConsistencyFn = Callable[[int, int], Sequence[bytes]]
_THREADS = threading.RLock()  # the file lock below is per open file, not per thread


class LogAlarm(Exception):
    """The server's log does not extend what it showed before: `kind` is rollback, split_view,
    rewritten, bad_signature or key_changed."""

    def __init__(self, kind: str, message: str, kept: TreeHead | None = None, seen: TreeHead | None = None, evidence: Path | None = None):
        super().__init__(message)
        self.kind, self.message, self.kept, self.seen, self.evidence = kind, message, kept, seen, evidence

    def __str__(self) -> str:
        where = f" (evidence saved: {self.evidence})" if self.evidence else ""
        return f"ALARM [{self.kind}] {self.message}{where}"


def check_extends(kept: TreeHead, seen: TreeHead, consistency: ConsistencyFn | None) -> None:
    """Raise LogAlarm unless `seen` is `kept` or a later state of the same log (signatures aside)."""
    if seen.size < kept.size:
        raise LogAlarm("rollback", f"the log now has {seen.size} entries, but it showed {kept.size} before: entries were removed", kept, seen)
    if seen.size == kept.size:
        if seen.root_hash != kept.root_hash:
            raise LogAlarm("split_view", f"two different logs of {seen.size} entries, both signed by the server: a split view or a rewrite", kept, seen)
        return
    if consistency is None:
        raise LogAlarm("rewritten", f"no consistency proof from size {kept.size} to {seen.size} can be had", kept, seen)
    try:
        verify_consistency(kept.size, seen.size, kept.root, seen.root, consistency(kept.size, seen.size))
    except ProofError as exc:
        raise LogAlarm("rewritten", f"the log of {seen.size} entries does not extend the one of {kept.size} you kept: {exc}", kept, seen) from None


def compare_heads(a: TreeHead, b: TreeHead, consistency: ConsistencyFn | None = None) -> None:
    """Two parties' heads of one log (gossip): raise LogAlarm if they cannot both be true."""
    for head in (a, b):
        verify_head(head)
    if a.log_id != b.log_id:
        raise LogAlarm("key_changed", "the heads are signed by different log keys", a, b)
    first, second = (a, b) if a.size <= b.size else (b, a)
    check_extends(first, second, consistency)


_SAME = object()  # kept_before not given: the kept head is what was kept before the request


class Witness:
    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else config_dir() / "witness"

    def path_for(self, server: str) -> Path:
        name = hashlib.sha256(server.rstrip("/").encode()).hexdigest()[:32]
        return self.folder / f"{name}.json"

    def kept(self, server: str) -> TreeHead | None:
        try:
            data = json.loads(self.path_for(server).read_text())
        except FileNotFoundError:
            return None
        return TreeHead.model_validate(data["head"])

    @contextmanager
    def _locked(self, server: str):
        """One observer at a time per kept head, across threads and processes: reading the kept head,
        checking the new one and keeping it is one step (or a smaller head could replace a larger)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with _THREADS:
            with open(self.path_for(server).with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    def _keep(self, server: str, head: TreeHead) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(server)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps({"server": server.rstrip("/"), "head": head.model_dump(mode="json")}, indent=1))
        os.replace(temporary, path)  # a reader never sees half a file

    def _alarm(self, server: str, alarm: LogAlarm) -> LogAlarm:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"alarm-{stamp}.json"
        path.write_text(json.dumps({
            "server": server, "kind": alarm.kind, "message": alarm.message,
            "kept": alarm.kept.model_dump(mode="json") if alarm.kept else None,
            "seen": alarm.seen.model_dump(mode="json") if alarm.seen else None,
        }, indent=1))
        alarm.evidence = path
        return alarm

    def observe(
        self, server: str, head: TreeHead, consistency: ConsistencyFn | None, latest: bool = False, kept_before: Any = _SAME
    ) -> TreeHead:
        """Check a head the server showed against the kept one; keep it if it extends it. Returns the kept
        head. `latest`: the server claims this is its log now (GET /v1/log/head), so a smaller one is a
        rollback; a head that came with a receipt or an event may be older than one seen since (replies
        and streams overtake each other), and must then be a prefix of the kept one. `kept_before`: the
        head kept when the request for `head` was sent; another client sharing this witness may have
        kept a newer one since, so a latest head is a rollback only against what was kept before it
        was asked for."""
        with self._locked(server):
            return self._observe(server, head, consistency, latest, kept_before)

    def _observe(self, server: str, head: TreeHead, consistency: ConsistencyFn | None, latest: bool, kept_before: Any = _SAME) -> TreeHead:
        kept = self.kept(server)
        if latest and kept_before is not _SAME:
            latest = kept_before is not None and head.size < kept_before.size
        try:
            verify_head(head, kept.public_key if kept else None)
        except HeadError as exc:
            kind = "key_changed" if kept and head.public_key != kept.public_key else "bad_signature"
            raise self._alarm(server, LogAlarm(kind, str(exc), kept, head)) from None
        if kept is None:
            self._keep(server, head)
            return head
        try:
            if head.size < kept.size and not latest:
                check_extends(head, kept, consistency)  # an older head: the kept one must extend it
                return kept
            check_extends(kept, head, consistency)
        except LogAlarm as alarm:
            raise self._alarm(server, alarm) from None
        if head.size > kept.size:
            self._keep(server, head)
            return head
        return kept
