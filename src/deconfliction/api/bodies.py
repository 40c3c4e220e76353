"""One rule for every JSON document a client sends, over HTTP or the WebSocket (invariant 5).

Before a route sees a body it must be UTF-8, valid JSON, nested at most `MAX_DEPTH` levels (the
deepest real document, a GeoJSON MultiPolygon in a FeatureCollection, is about 8) and free of duplicate
keys — JSON parsers disagree on which of two equal keys wins, so a document with both is ambiguous and
refused rather than read as its last value. A refusal is an `InvalidInput` naming the field (the body,
or the duplicated key); nothing here can raise anything else, so no traceback is ever logged for it.
Those three are `HostileDocument`s: the tracks WebSocket closes on them (1007) where it answers a merely
malformed message and reads on.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidInput

MAX_DEPTH = 64


class HostileDocument(InvalidInput):
    """Not UTF-8, nested too deep or with a duplicate key: no client sends this by mistake."""


class _Duplicate(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return document


def _depth_exceeds(document: Any, limit: int) -> bool:
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse(data: bytes | str, field: str = "body") -> Any:
    """The JSON document, or InvalidInput naming `field` (or the duplicated key)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HostileDocument(f"not UTF-8 (byte {exc.start})", field=field) from None
    try:
        document = json.loads(data, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        raise HostileDocument(f"duplicate key {exc.key!r}: a key appears at most once in an object", field=exc.key[:200] or field) from None
    except RecursionError:
        raise HostileDocument(f"nested deeper than {MAX_DEPTH} levels", field=field) from None
    except ValueError as exc:
        raise InvalidInput(f"not valid JSON ({exc})", field=field) from None
    if _depth_exceeds(document, MAX_DEPTH):
        raise HostileDocument(f"nested deeper than {MAX_DEPTH} levels", field=field)
    return document
