"""A party's signed statements: what it said (a write request: method, path, JSON body), when, with a
nonce, signed with one of its registered Ed25519 keys over RFC 8785 canonical JSON.

The server refuses a statement whose key is unknown, not the party's, not yet or no longer valid, or
revoked; whose signature does not hold over exactly this request; or whose nonce the party has used
before (a replay). An accepted statement is stored with the write it authorised (the audit entry
`statement.signed`, a leaf of the log): anyone holding the party's public key can check it, and the
operator, who never holds the private key, cannot make one.

Over HTTP the statement travels in headers beside the request:
    Deconfliction-Signature: party=<id>, keyId=<hex>, nonce=<text>, signedAt=<RFC 3339 UTC>, signature=<base64>
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .canonical import STATEMENT, statement_bytes
from .keys import SigningKey, key_id as compute_key_id, public_key_from_b64, unb64, verifies

HEADER = "deconfliction-signature"


class PartyKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(description="hex SHA-256 of the raw public key")
    party_id: str
    public_key: str = Field(description="Ed25519, raw, base64")
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None

    def usable_at(self, moment: datetime) -> str | None:
        """None if the key may sign at `moment`, else why not."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return f"key {self.key_id[:16]}… of {self.party_id} was revoked at {self.revoked_at.isoformat()}"
        if moment < self.valid_from:
            return f"key {self.key_id[:16]}… of {self.party_id} is valid only from {self.valid_from.isoformat()}"
        if self.valid_until is not None and moment >= self.valid_until:
            return f"key {self.key_id[:16]}… of {self.party_id} expired at {self.valid_until.isoformat()}"
        return None


class SignedRequest(BaseModel):
    """What a party signs: this request, by this party, now, once."""

    party: str
    method: str
    path: str
    body: Any = None
    nonce: str = Field(min_length=8, max_length=128)
    signed_at: str

    def message(self) -> bytes:
        return statement_bytes(STATEMENT, self.model_dump())


def new_key(party_id: str, public_key: str, valid_from: datetime, valid_until: datetime | None = None) -> PartyKey:
    public = public_key_from_b64(public_key)  # raises ValueError naming the field
    return PartyKey(key_id=compute_key_id(public), party_id=party_id, public_key=public_key, valid_from=valid_from, valid_until=valid_until)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def sign_request(key: SigningKey, party: str, method: str, path: str, body: Any, now: datetime | None = None, nonce: str | None = None) -> tuple[SignedRequest, str]:
    """The statement and its header value."""
    statement = SignedRequest(
        party=party, method=method.upper(), path=path, body=body,
        nonce=nonce or secrets.token_urlsafe(16), signed_at=stamp(now or datetime.now(timezone.utc)),
    )
    signature = key.sign(statement.message())
    from .keys import b64

    header = f"party={party}, keyId={key.id}, nonce={statement.nonce}, signedAt={statement.signed_at}, signature={b64(signature)}"
    return statement, header


def parse_header(value: str) -> dict[str, str]:
    fields = {}
    for part in value.split(","):
        name, sep, text = part.strip().partition("=")
        if not sep:
            raise ValueError("expected party=…, keyId=…, nonce=…, signedAt=…, signature=…")
        fields[name.strip()] = text.strip() if name.strip() != "signature" else part.strip()[len(name.strip()) + 1:]
    missing = {"party", "keyId", "nonce", "signedAt", "signature"} - set(fields)
    if missing:
        raise ValueError(f"missing {', '.join(sorted(missing))}")
    return fields


class Presented(BaseModel):
    """A statement as a request presented it (not yet checked)."""

    key_id: str
    signature: str
    statement: SignedRequest


def presented(party: str, method: str, path: str, body_bytes: bytes, header: str) -> Presented:
    fields = parse_header(header)
    try:
        body = json.loads(body_bytes) if body_bytes.strip() else None
    except ValueError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    statement = SignedRequest(party=party, method=method.upper(), path=path, body=body, nonce=fields["nonce"], signed_at=fields["signedAt"])
    return Presented(key_id=fields["keyId"], signature=fields["signature"], statement=statement)


def signature_holds(key: PartyKey, presented_: Presented) -> bool:
    try:
        return verifies(public_key_from_b64(key.public_key), unb64(presented_.signature), presented_.statement.message())
    except ValueError:
        return False
