"""Who a USS is: an RS256 JWT from the configured authority (`sub` = the USS = a party), with the
standard's scopes; each operation accepts one of several scope sets, as the spec's `security` lists.

Missing or bad token: 401. Valid token without a scope set the operation accepts: 403."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from uas_standards.astm.f3548.v21.constants import Scope

from ...errors import Forbidden, Unauthenticated

SCOPES = frozenset(s.value for s in Scope)


@dataclass(frozen=True)
class Uss:
    id: str
    scopes: frozenset[str]

    def require(self, *alternatives: Iterable[str]) -> "Uss":
        """403 unless the token holds every scope of at least one alternative."""
        if any(set(alt) <= self.scopes for alt in alternatives):
            return self
        wanted = " or ".join("+".join(sorted(alt)) for alt in alternatives)
        raise Forbidden(f"this operation needs the scope {wanted}", field="authorization")


class UssVerifier:
    """Accepts tokens signed by any of the keys, for any of the audiences (e.g. the DSS's host names)."""

    def __init__(self, public_keys: Iterable[str], audiences: Iterable[str], issuer: str | None = None):
        self.keys = [load_pem_public_key(k.encode()) for k in public_keys]
        self.audiences = list(audiences)
        self.issuer = issuer
        if not self.keys or not self.audiences:
            raise ValueError("the F3548 interface needs at least one public key and one audience")

    @classmethod
    def from_files(cls, files: Iterable[Path], audiences: Iterable[str], issuer: str | None = None) -> "UssVerifier":
        return cls([Path(f).read_text() for f in files], audiences, issuer)

    def verify(self, authorization: str | None) -> Uss:
        if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise Unauthenticated("send 'Authorization: Bearer <access token>'", field="authorization")
        token = authorization[7:].strip()
        error: Exception | None = None
        for key in self.keys:
            try:
                claims = jwt.decode(
                    token, key, algorithms=["RS256"], audience=self.audiences, issuer=self.issuer,
                    options={"require": ["exp", "sub"]}, leeway=30,
                )
                break
            except jwt.InvalidSignatureError as exc:
                error = exc  # perhaps another key signed it
            except jwt.PyJWTError as exc:
                raise Unauthenticated(f"invalid access token: {exc}", field="authorization") from None
        else:
            raise Unauthenticated(f"invalid access token: {error}", field="authorization")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 200:
            raise Unauthenticated("invalid access token: 'sub' must name the USS", field="authorization")
        raw = claims.get("scope", "")
        scopes = raw.split() if isinstance(raw, str) else [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []
        return Uss(id=sub, scopes=frozenset(s for s in scopes if s in SCOPES))
