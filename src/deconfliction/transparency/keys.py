"""Ed25519 keys: the server's log key (it signs tree heads) and anyone's public key on the wire.

The log key is a PEM file (PKCS#8, mode 0600), made on first use: beside a SQLite store
(`STORE.log-key.pem`), else in the user's config directory; `DECONFLICTION_LOG_KEY` or an explicit
path overrides both. Every instance serving one PostgreSQL database must be given the same file.
A key is named by its id: the hex SHA-256 of its 32 raw public bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, field: str = "signature") -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{field} is not base64") from exc


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey | bytes) -> str:
    raw = public if isinstance(public, bytes) else public_bytes(public)
    return hashlib.sha256(raw).hexdigest()


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    raw = unb64(text, "public_key")
    if len(raw) != 32:
        raise ValueError("public_key must be 32 bytes (raw Ed25519, base64)")
    return Ed25519PublicKey.from_public_bytes(raw)


def verifies(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False


class SigningKey:
    """A private Ed25519 key with its public half's id."""

    def __init__(self, private: Ed25519PrivateKey):
        self.private = private
        self.public = private.public_key()
        self.public_b64 = b64(public_bytes(self.public))
        self.id = key_id(self.public)

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @classmethod
    def from_pem(cls, data: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the key file does not hold an Ed25519 private key")
        return cls(key)


def load_or_create(path: str | Path) -> SigningKey:
    """The key in `path`, made there (0600) if the file does not exist yet; safe against a concurrent maker."""
    path = Path(path)
    try:
        return SigningKey.from_pem(path.read_bytes())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return SigningKey.from_pem(path.read_bytes())
    with os.fdopen(fd, "wb") as out:
        out.write(key.pem())
    return key


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "deconfliction"


def default_log_key_path(database: str) -> Path | None:
    """Where the log key of a store lives unless told; None for an in-memory store (a key per process)."""
    if os.environ.get("DECONFLICTION_LOG_KEY"):
        return Path(os.environ["DECONFLICTION_LOG_KEY"])
    if database.startswith(("postgresql://", "postgres://")):
        return config_dir() / "log-key.pem"
    path = database.removeprefix("sqlite:///").removeprefix("sqlite://")
    if path in ("", ":memory:"):
        return None
    return Path(path + ".log-key.pem")
