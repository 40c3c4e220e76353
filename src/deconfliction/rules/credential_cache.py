"""A per-process memory of recently authenticated API tokens, so that a request need not read the store.

Revocation stays binding:
  - a revocation made through this process's facade empties the memory as it commits, and a lookup that
    was already reading the store when the revocation committed does not put its (stale) answer back;
  - a revocation made by another process (another server worker, `deconfliction token revoke`) is not
    seen here until the entry ages out: an entry is trusted for at most `ttl_s` (1 s) after the store
    was read. That is the documented bound (docs/api.md, Authentication).
Unknown and revoked tokens are never remembered: a token issued elsewhere works at once, and a refusal
always comes from the store.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from ..models import Credential

TTL_S = 1.0
MAX_ENTRIES = 10_000  # bounded memory whatever the callers send; overflowing simply forgets everything


class CredentialCache:
    def __init__(self, ttl_s: float = TTL_S, monotonic: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._entries: dict[str, tuple[float, Credential]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every clear(); a lookup begun before it must not fill the cache

    def get(self, token_hash: str) -> Credential | None:
        """The remembered credential, if it was read from the store less than `ttl_s` ago."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        read_at, credential = entry
        if self.monotonic() - read_at >= self.ttl_s:
            with self._lock:
                if self._entries.get(token_hash) is entry:
                    del self._entries[token_hash]
            return None
        return credential

    def begin(self) -> tuple[int, float]:
        """Call before reading the store; hand the result to `put`."""
        return self._generation, self.monotonic()

    def put(self, token_hash: str, credential: Credential, began: tuple[int, float]) -> None:
        """Remember a valid credential read after `begin()`, unless a clear() happened since then.
        Its age counts from `begin()`, i.e. from before the store was read."""
        generation, read_at = began
        if credential.revoked_at is not None:
            return
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token_hash] = (read_at, credential)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
