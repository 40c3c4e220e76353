"""API fixtures: the core `system` (agreements pact = blue, red, green; other = blue, yellow) behind the
app, tokens for every role, RS256 JWTs from a key pair made here, and a small world of notices."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconfliction.api import ApiSettings, create_app
from deconfliction.models import Delivery, NoticePrivate

AUDIENCE = "deconfliction-test"
ISSUER = "https://issuer.test"
SECRET_REFERENCE = "OP-NIGHTJAR-7"
SECRET_REMARKS = "callsign VIPER 21, tanker track ECHO"


def _keypair():
    """(private key object, public key PEM). The object, not PEM: parsing a private PEM costs ~80 ms."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, public


@pytest.fixture(scope="session")
def issuer_keys():
    """The external issuer's key pair, and another one nobody trusts."""
    return _keypair(), _keypair()


@pytest.fixture
def public_key_file(tmp_path, issuer_keys):
    path = tmp_path / "issuer.pem"
    path.write_bytes(issuer_keys[0][1])
    return path


def make_jwt(private_pem, sub: str | None, scope: str | None, *, aud: str = AUDIENCE, iss: str = ISSUER, ttl_s: float = 600) -> str:
    claims = {"aud": aud, "iss": iss, "exp": int(time.time() + ttl_s), "iat": int(time.time())}
    if sub is not None:
        claims["sub"] = sub
    if scope is not None:
        claims["scope"] = scope
    return jwt.encode(claims, private_pem, algorithm="RS256")


@pytest.fixture
def settings(public_key_file) -> ApiSettings:
    # Streams end after 0.3 s here, so that a stream granted where a refusal was expected fails a test
    # instead of hanging it.
    return ApiSettings(jwt_public_key_file=public_key_file, jwt_audience=AUDIENCE, jwt_issuer=ISSUER, sse_max_s=0.3)


@pytest.fixture
def app(system, settings):
    return create_app(system, settings)


@pytest.fixture
def http(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def jwts(issuer_keys) -> dict[str, str]:
    (trusted, _), (untrusted, _) = issuer_keys
    return {
        "jwt_owner": make_jwt(trusted, "blue", "notices:read notices:write"),
        "jwt_noscope": make_jwt(trusted, "blue", None),
        "jwt_admin_claim": make_jwt(trusted, "blue", "admin"),
        "jwt_untrusted": make_jwt(untrusted, "blue", "notices:read notices:write"),
        "jwt_wrong_audience": make_jwt(trusted, "blue", "notices:read notices:write", aud="someone-else"),
        "jwt_wrong_issuer": make_jwt(trusted, "blue", "notices:read notices:write", iss="https://evil.test"),
        "jwt_expired": make_jwt(trusted, "blue", "notices:read notices:write", ttl_s=-3600),
        "jwt_unknown_party": make_jwt(trusted, "nobody", "notices:read notices:write"),
    }


@pytest.fixture
def tokens(system, jwts) -> dict[str, str | None]:
    """A bearer token for every role of the authorization matrix."""
    out: dict[str, str | None] = {
        "admin": system.issue_token(None, ["admin"])[1],
        "owner": system.issue_token("blue")[1],  # files the notices below
        "member": system.issue_token("red")[1],  # another party of the same agreement, a side of the conflict
        "nonmember": system.issue_token("yellow")[1],  # shares agreement 'other' with blue, not 'pact'
        "observer": system.issue_token("green", ["observer"])[1],  # member of pact, not a side of the conflict
        "reader": system.issue_token("red", ["notices:read"])[1],
        "none": None,
        "garbage": "dcf_not-a-token",
        **jwts,
    }
    credential, revoked = system.issue_token("blue")
    system.revoke_token(credential.id)
    out["revoked"] = revoked
    return out


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def volume_json(now: datetime, lon: float = 2.35, lat: float = 48.85, radius_m: float = 500.0, start_h: float = 1.0, hours: float = 1.0) -> dict:
    start = now + timedelta(hours=start_h)
    return {
        "footprint": {"kind": "circle", "lon": lon, "lat": lat, "radius_m": radius_m},
        "altitude": {"lower_m": 0, "upper_m": 300, "datum": "W84"},
        "time": {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()},
    }


@dataclass
class World:
    """blue's notice (with private fields), red's conflicting one, their conflict, blue's subscription,
    webhook endpoint and one dead delivery."""

    notice: str = ""
    version: str = ""
    red_notice: str = ""
    conflict: str = ""
    subscription: str = ""
    endpoint: str = ""
    dead_delivery: str = ""
    token_id: str = ""
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world(system, clock, vol) -> World:
    blue = system.file_notice("blue", "pact", [vol()], private=NoticePrivate(reference=SECRET_REFERENCE, remarks=SECRET_REMARKS))
    red = system.file_notice("red", "pact", [vol(lon=2.351)], key=[blue.notice.version])
    assert red.conflicts, "the world needs a conflict"
    subscription = system.subscribe("blue", "pact", [vol(radius_m=20_000)])
    endpoint = system.add_endpoint("blue", "http://127.0.0.1:9/hook")
    with system.store.transaction() as tx:
        seq = tx.append_event("blue", "notice.filed", {"test": True}, clock.now)
        dead = Delivery(id=f"{seq:012d}-{endpoint.id}", event_seq=seq, endpoint_id=endpoint.id, party_id="blue", state="dead",
                        attempts=10, next_attempt_at=clock.now, last_error="refused")
        tx.put_delivery(dead)
    credential, _ = system.issue_token("green", ["notices:read"], label="spare")
    message = system.send_message("red", "pact", kind="alert", text="Traffic north of the lake", to=["blue"])
    return World(
        notice=blue.notice.id, version=blue.notice.version, red_notice=red.notice.id, conflict=red.conflicts[0].id,
        subscription=subscription.id, endpoint=endpoint.id, dead_delivery=dead.id, token_id=credential.id,
        extra={"message": message.id},
    )


@pytest.fixture
def db_path(tmp_path):
    """On tmpfs when there is one: these tests are about HTTP, and each sets up a fresh store with a
    few dozen committed (fsynced) writes."""
    import os
    import tempfile
    import shutil

    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        folder = tempfile.mkdtemp(prefix="dcf-api-", dir="/dev/shm")
        yield os.path.join(folder, "api.db")
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path / "api.db"
