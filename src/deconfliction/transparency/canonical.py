"""What is signed and hashed, byte for byte.

Statements (tree heads, co-signatures, a party's signed filings) are RFC 8785 canonical JSON (the
`rfc8785` package), after a fixed context line so that a signature over one kind of statement can
never be passed off as another. A log leaf is the audit entry as the hash chain has always hashed it
(JSON, keys sorted, no spaces, ASCII), so the stored entries of older stores become leaves unchanged.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import rfc8785

TREE_HEAD = b"deconfliction tree head v1\n"
COSIGNATURE = b"deconfliction co-signature v1\n"
STATEMENT = b"deconfliction party statement v1\n"


def statement_bytes(context: bytes, value: Any) -> bytes:
    return context + rfc8785.dumps(value)


def leaf_bytes(seq: int, at: datetime, actor: str, action: str, subject: str, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {"seq": seq, "at": at.astimezone(timezone.utc).isoformat(), "actor": actor, "action": action, "subject": subject, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
