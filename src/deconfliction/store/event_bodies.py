"""An event may name the audit entry that holds its body instead of carrying the body itself.

A filing that opens hundreds of conflicts tells each one to both sides and records it in the audit
log: the same conflict JSON, written three times. Its events now carry a reference,
`{"conflict": {"$audit": 123, "id": …, "version_a": …, "version_b": …}}`, and whoever reads the feed
(SSE, the pull feed, webhooks, the CLI: all through the store's events_after / get_event) gets the
audit entry's payload in its place, so the wire form is what it always was. The audit entry is the
right body to join: it is append-only and holds the conflict exactly as it was told at that moment,
whereas the conflict's own row moves on (acknowledged, updated, cleared).

Events written before this change carry their bodies and read back unchanged.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from ..transparency.canonical import Encoded

REFERENCE = "$audit"  # the key no body has: the value it marks is an audit entry's seq
_string = json.encoder.encode_basestring_ascii


def naming(key: str, audit_seq: int, **names: str) -> Encoded:
    """`{key: {"$audit": audit_seq, **names}}`: an event's payload whose `key` is the audit entry's
    payload; `names` (e.g. the conflict's id and versions) only make the stored row readable by a person."""
    fields = "".join(f",{_string(name)}:{_string(value)}" for name, value in sorted(names.items()))
    encoded = Encoded.__new__(Encoded)  # plain strings and a number: nothing for Encoded() to look through
    encoded.value = {key: {REFERENCE: audit_seq, **names}}
    encoded.text = f"{{{_string(key)}:{{{_string(REFERENCE)}:{int(audit_seq)}{fields}}}}}"
    return encoded


def references(payload: dict[str, Any]) -> Iterable[tuple[str, int]]:
    """(key, audit seq) of each body the payload names instead of carrying."""
    for key, value in payload.items():
        if isinstance(value, dict) and isinstance(value.get(REFERENCE), int):
            yield key, value[REFERENCE]


def join(payloads: list[dict[str, Any]], audit_payloads: Callable[[list[int]], dict[int, Any]]) -> None:
    """Put each named body in place (in the given dicts), reading the audit entries they name at once."""
    wanted = sorted({seq for payload in payloads for _, seq in references(payload)})
    if not wanted:
        return
    found = audit_payloads(wanted)
    for payload in payloads:
        for key, seq in list(references(payload)):
            payload[key] = found[seq]
