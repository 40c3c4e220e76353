"""What the API needs to know that is not in the store: token verification, limits, streaming."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "DECONFLICTION_"
MIB = 1024 * 1024


@dataclass(frozen=True)
class ApiSettings:
    # External JWTs (RS256): accepted only when a public key is configured. `sub` names the party.
    jwt_public_key_file: Path | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # Further issuers' keys and further accepted audiences (e.g. a DSS known by several host names).
    more_jwt_public_key_files: tuple[Path, ...] = ()
    more_jwt_audiences: tuple[str, ...] = ()
    max_body_bytes: int = MIB  # larger request bodies get a 413 problem
    max_page: int = 1000  # the largest `limit` a list accepts
    sse_ping_s: float = 15.0  # heartbeat comments on idle event streams
    sse_poll_s: float = 0.1  # how often an idle stream looks for events written by other processes
    sse_batch: int = 500
    sse_max_s: float | None = None  # end a stream after this long (the client resumes with Last-Event-ID); None: never
    record_feed_deliveries: bool = True  # audit `events.delivered` for pull-feed pages and SSE batches
    database: str = field(default="deconfliction.db")  # used by the app factory only
    f3548_agreement: str | None = None  # set: serve the F3548 DSS interface at /dss/v1 for this agreement

    def jwt_public_key(self) -> str | None:
        return Path(self.jwt_public_key_file).read_text() if self.jwt_public_key_file else None

    @property
    def jwt_key_files(self) -> list[Path]:
        return [Path(f) for f in ([self.jwt_public_key_file] if self.jwt_public_key_file else []) + list(self.more_jwt_public_key_files)]

    @property
    def jwt_audiences(self) -> list[str]:
        return ([self.jwt_audience] if self.jwt_audience else []) + list(self.more_jwt_audiences)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ApiSettings":
        """Settings from DECONFLICTION_* variables (how `serve --workers N` passes them to each worker)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        keys = [Path(k) for k in (get("JWT_PUBLIC_KEY") or "").split(os.pathsep) if k]
        audiences = [a for a in (get("JWT_AUDIENCE") or "").split(",") if a]
        return cls(
            jwt_public_key_file=keys[0] if keys else None,
            more_jwt_public_key_files=tuple(keys[1:]),
            jwt_audience=audiences[0] if audiences else None,
            more_jwt_audiences=tuple(audiences[1:]),
            jwt_issuer=get("JWT_ISSUER"),
            max_body_bytes=int(get("MAX_BODY_BYTES") or MIB),
            database=get("DATABASE") or get("DB") or "deconfliction.db",
            f3548_agreement=get("F3548_AGREEMENT"),
        )

    def to_env(self) -> dict[str, str]:
        env = {ENV_PREFIX + "DATABASE": self.database, ENV_PREFIX + "MAX_BODY_BYTES": str(self.max_body_bytes)}
        if self.jwt_key_files:
            env[ENV_PREFIX + "JWT_PUBLIC_KEY"] = os.pathsep.join(str(f) for f in self.jwt_key_files)
        if self.jwt_audiences:
            env[ENV_PREFIX + "JWT_AUDIENCE"] = ",".join(self.jwt_audiences)
        if self.jwt_issuer:
            env[ENV_PREFIX + "JWT_ISSUER"] = self.jwt_issuer
        if self.f3548_agreement:
            env[ENV_PREFIX + "F3548_AGREEMENT"] = self.f3548_agreement
        return env
