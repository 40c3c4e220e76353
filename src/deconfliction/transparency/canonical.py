"""What is signed and hashed, byte for byte.

Statements (tree heads, co-signatures, a party's signed filings) are RFC 8785 canonical JSON (the
`rfc8785` package), after a fixed context line so that a signature over one kind of statement can
never be passed off as another. A log leaf is the audit entry as the hash chain has always hashed it
(JSON, keys sorted, no spaces, ASCII), so the stored entries of older stores become leaves unchanged.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any

import pydantic_core
import rfc8785

TREE_HEAD = b"deconfliction tree head v1\n"
COSIGNATURE = b"deconfliction co-signature v1\n"
STATEMENT = b"deconfliction party statement v1\n"


def statement_bytes(context: bytes, value: Any) -> bytes:
    return context + rfc8785.dumps(value)


def leaf_bytes(seq: int, at: datetime, actor: str, action: str, subject: str, payload: "dict[str, Any] | Encoded") -> bytes:
    """`payload` may hold Encoded parts (or be one): they are spliced in, not encoded again."""
    if not isinstance(payload, Encoded):
        payload = Encoded(payload)
    # The envelope json.dumps would write (keys sorted: action, actor, at, payload, seq, subject), by hand:
    # a filing writes one per conflict, and a JSON encoder's set-up costs more than these few strings.
    return (
        f'{{"action":{_string(action)},"actor":{_string(actor)},"at":{_string(at.astimezone(timezone.utc).isoformat())},'
        f'"payload":{payload.text},"seq":{int(seq)!r},"subject":{_string(subject)}}}'
    ).encode()


# Encoding once ----------------------------------------------------------------------------------------
# A filing tells the same notice or conflict to the audit chain (hashed), the audit table and each
# party's feed. Python's json encodes a 2,000-vertex ring in ~3 ms, so each is encoded once, as an
# Encoded, and the texts around it are built with its text spliced in.

_MARK = "\ue000" + secrets.token_hex(16)  # a per-process placeholder no payload can contain by chance
_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # made once: json.dumps builds one per call
_string = json.encoder.encode_basestring_ascii  # a JSON string as json.dumps writes it (ASCII)


class Encoded:
    """A JSON value with its text (keys sorted, no spaces, ASCII, as leaf_bytes hashes it), encoded once.

    `value` must be a JSON value already (dicts with string keys, lists, strings, numbers, booleans,
    None: what `model_dump(mode="json")` returns), possibly holding Encoded parts as dict values; the
    text then reads back as `plain`. Give `text` only when it is the value's encoding."""

    __slots__ = ("value", "text")

    def __init__(self, value: Any, text: str | None = None):
        self.value = plain(value)
        self.text = dumps(value) if text is None else text

    @classmethod
    def whole(cls, value: Any) -> "Encoded":
        """A JSON value holding no Encoded part (a model_dump(mode="json")): nothing to look through."""
        encoded = cls.__new__(cls)
        encoded.value = value
        encoded.text = _COMPACT.encode(value)
        return encoded

    @classmethod
    def shapes(cls, value: Any) -> "Encoded":
        """As `whole`, for a value holding long arrays of numbers (volumes: a ring of 2,000 vertices is
        ~3 ms of Python's json, ~0.3 ms this way); the same text, byte for byte (`compact`)."""
        encoded = cls.__new__(cls)
        encoded.value = value
        encoded.text = compact(value)
        return encoded

    @classmethod
    def under(cls, key: str, part: "Encoded") -> "Encoded":
        """{key: part}, its text around part's: an event's payload ({"conflict": …}) for every party."""
        encoded = cls.__new__(cls)
        encoded.value = {key: part.value}
        encoded.text = f"{{{_string(key)}:{part.text}}}"
        return encoded


# What pydantic_core writes for a list of numbers is what Python's json writes when the text holds
# nothing but digits, signs, points, commas and brackets (no exponent, no NaN or Infinity, no true or
# false) and no number below 1e-4 in magnitude: Python writes those with an exponent (1e-05), the Rust
# encoder in full (0.00001); any such number's text holds "0.0000".
_NUMBER_BYTES = b"0123456789.-,[]"
_MIN_ARRAY = 16  # shorter lists: the C encoder is as fast, and there is nothing to check


def _numbers(items: list) -> str | None:
    """`items` (a list of numbers, or of lists of them) as _COMPACT writes it, or None when unsure."""
    try:
        raw = pydantic_core.to_json(items)
    except pydantic_core.PydanticSerializationError:
        return None
    if raw.translate(None, _NUMBER_BYTES) or b"0.0000" in raw:
        return None
    return raw.decode("ascii")


def compact(value: Any) -> str:
    """_COMPACT.encode(value) (keys sorted, no spaces, ASCII), with long lists of numbers written by
    pydantic_core's encoder where its text is certainly the same (`_numbers`)."""
    kind = type(value)
    if kind is dict and all(type(key) is str for key in value):
        return "{" + ",".join(f"{_string(key)}:{compact(value[key])}" for key in sorted(value)) + "}"
    if kind is list and value and type(value[0]) in (list, dict):
        if len(value) >= _MIN_ARRAY and type(value[0]) is list:
            text = _numbers(value)
            if text is not None:
                return text
        return "[" + ",".join(compact(item) for item in value) + "]"
    return _COMPACT.encode(value)


def plain(value: Any) -> Any:
    """The value with its Encoded parts (as dict values, at any depth of dicts) replaced by their values."""
    if isinstance(value, Encoded):
        return value.value
    if isinstance(value, dict):
        return {key: plain(item) if isinstance(item, (dict, Encoded)) else item for key, item in value.items()}
    return value


def dumps(value: Any) -> str:
    """JSON text, keys sorted, no spaces, ASCII; an Encoded part is spliced in as its text; anything
    else JSON has no type for (datetimes) is written as str(), as the audit always has."""
    if isinstance(value, Encoded):
        return value.text
    parts: list[str] = []

    def placeholder(item: Any) -> str:
        if isinstance(item, Encoded):
            parts.append(item.text)
            return f"{_MARK}{len(parts) - 1}"
        return str(item)

    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=placeholder)
    for k, part in enumerate(parts):
        text = text.replace(json.dumps(f"{_MARK}{k}"), part, 1)
    return text
