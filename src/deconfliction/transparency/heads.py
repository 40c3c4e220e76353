"""Signed tree heads: (size, root hash, time) signed by the server's log key, and co-signed by parties.

A head says "my log had these `size` entries, with this root, at this time". Two valid heads of one
log that no consistency proof joins (a smaller one that is not a prefix of a larger one, or two of one
size with different roots) are the server's own signed proof that it rewrote or forked its log.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .canonical import COSIGNATURE, TREE_HEAD, statement_bytes
from .keys import SigningKey, b64, key_id, public_key_from_b64, unb64, verifies


class Cosignature(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signer: str = Field(description="who co-signs: a party id, or any name the witness goes by")
    public_key: str = Field(description="the co-signer's Ed25519 public key, raw, base64")
    signature: str = Field(description="Ed25519 over the co-signature context line + RFC 8785 JSON of the head's body")


class TreeHead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int = Field(ge=0, description="number of leaves (audit entries)")
    root_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="RFC 9162 Merkle tree hash, hex")
    timestamp: datetime = Field(description="when the server signed it (UTC)")
    log_id: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the log key's raw public bytes")
    public_key: str = Field(description="the log key, raw Ed25519, base64 (check it against the one you trust)")
    signature: str = Field(description="Ed25519 over the tree-head context line + RFC 8785 JSON of size, root_hash, timestamp, log_id")
    cosignatures: list[Cosignature] = Field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return _body(self.size, bytes.fromhex(self.root_hash), self.timestamp, self.log_id)

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)


class HeadError(ValueError):
    """A tree head that is not what it claims (bad signature, wrong key)."""


def _body(size: int, root: bytes, timestamp: datetime, log_id: str) -> dict[str, Any]:
    stamp = timestamp.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return {"size": size, "root_hash": root.hex(), "timestamp": stamp, "log_id": log_id}


def sign_head(key: SigningKey, size: int, root: bytes, now: datetime) -> TreeHead:
    now = now.astimezone(timezone.utc)
    body = _body(size, root, now, key.id)
    signature = key.sign(statement_bytes(TREE_HEAD, body))
    return TreeHead(size=size, root_hash=root.hex(), timestamp=now, log_id=key.id, public_key=key.public_b64, signature=b64(signature))


def verify_head(head: TreeHead, trusted_public_key: str | None = None) -> None:
    """Raise HeadError unless the head is signed by its log key (and that key is the trusted one, if given)."""
    if trusted_public_key is not None and head.public_key != trusted_public_key:
        raise HeadError(f"the head is signed by log key {head.log_id[:16]}…, not by the key you trust")
    try:
        public = public_key_from_b64(head.public_key)
        signature = unb64(head.signature)
    except ValueError as exc:
        raise HeadError(str(exc)) from exc
    if key_id(public) != head.log_id:
        raise HeadError("the head's log_id is not its public key's id")
    if not verifies(public, signature, statement_bytes(TREE_HEAD, head.body())):
        raise HeadError(f"bad signature on the tree head of size {head.size}")


def cosign(head: TreeHead, signer: str, key: SigningKey) -> TreeHead:
    """The head with one more co-signature: `signer` vouches that it saw this head."""
    verify_head(head)
    signature = key.sign(statement_bytes(COSIGNATURE, head.body()))
    others = [c for c in head.cosignatures if c.public_key != key.public_b64]
    return head.model_copy(update={"cosignatures": [*others, Cosignature(signer=signer, public_key=key.public_b64, signature=b64(signature))]})


def verify_cosignatures(head: TreeHead) -> list[str]:
    """The signers whose co-signatures hold; raise HeadError on any that does not."""
    good = []
    for c in head.cosignatures:
        try:
            ok = verifies(public_key_from_b64(c.public_key), unb64(c.signature), statement_bytes(COSIGNATURE, head.body()))
        except ValueError:
            ok = False
        if not ok:
            raise HeadError(f"bad co-signature by {c.signer!r} on the tree head of size {head.size}")
        good.append(c.signer)
    return good
