"""F3548 fixtures: a system with the interface's agreement, the app with /dss/v1 mounted, an RS256 key
pair made here (and one nobody trusts), and USS clients whose every response is checked against the
standard's OpenAPI document (spec.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconfliction import Deconfliction
from deconfliction.models.agreements import Agreement, Separation
from deconfliction.api import ApiSettings, create_app
from deconfliction.store import SQLiteStore

from factories import FixedClock

from . import spec

AUDIENCE = "dss.test"
ISSUER = "https://auth.test/token"
AGREEMENT = "utm"
ALL_SCOPES = (
    "utm.strategic_coordination", "utm.constraint_management", "utm.constraint_processing",
    "utm.conformance_monitoring_sa", "utm.availability_arbitration",
)
SC, CM, CP, CMSA, AA = ALL_SCOPES


def _keypair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key, key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="session")
def keys():
    """(trusted private key, its public PEM), and an untrusted private key."""
    trusted, public = _keypair()
    untrusted, _ = _keypair()
    return trusted, public, untrusted


def token(private_key, sub: str | None, scopes: str | None, *, aud: str = AUDIENCE, ttl_s: float = 600, iss: str = ISSUER) -> str:
    claims: dict[str, Any] = {"aud": aud, "iss": iss, "exp": int(time.time() + ttl_s), "jti": str(uuid.uuid4())}
    if sub is not None:
        claims["sub"] = sub
    if scopes is not None:
        claims["scope"] = scopes
    return jwt.encode(claims, private_key, algorithm="RS256")


def utm_agreement() -> Agreement:
    """F3548 semantics: intents conflict when they intersect (1 m laterally, overlapping bands and
    times), no minimum lead time; the DSS operator is its first member."""
    return Agreement(
        id=AGREEMENT, name="UTM", parties=["dss-operator"], min_lead_time_s=0.0, planning_horizon_s=30 * 86400.0,
        separation=Separation(lateral_m=1.0, vertical_m=0.0, time_buffer_s=0.0),
    )


def make_system(store, clock) -> Deconfliction:
    system = Deconfliction(store, clock=clock)
    system.add_agreement(utm_agreement())
    return system


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(tmp_path, keys) -> ApiSettings:
    path = tmp_path / "authority.pem"
    path.write_bytes(keys[1])
    return ApiSettings(jwt_public_key_file=path, jwt_audience=AUDIENCE, jwt_issuer=ISSUER, f3548_agreement=AGREEMENT)


@pytest.fixture
def system(tmp_path, clock):
    store = SQLiteStore(tmp_path / "dss.db")
    yield make_system(store, clock)
    store.close()


@pytest.fixture
def http(system, settings):
    with TestClient(create_app(system, settings)) as client:
        yield client


@dataclass
class Uss:
    """A USS as the standard's clients are: a `sub`, scopes, and calls whose responses are checked."""

    http: TestClient
    key: Any
    sub: str
    scopes: str = " ".join(ALL_SCOPES)
    base_url: str = ""
    last: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url or f"https://{self.sub}.example.com/utm"

    def call(self, method: str, path: str, body: Any = None, *, scopes: str | None = None, headers: dict | None = None, raw_token: str | None = None):
        bearer = raw_token if raw_token is not None else token(self.key, self.sub, self.scopes if scopes is None else scopes)
        h = {"Authorization": f"Bearer {bearer}", **(headers or {})}
        response = self.http.request(method, "/dss/v1" + path, json=body, headers=h)
        self.last = response
        body_json = response.json() if response.headers.get("content-type", "").startswith("application/json") else response.text
        spec.check(method, "/dss/v1" + path, response.status_code, body_json)
        return response

    # Shortcuts for the common calls ------------------------------------------------------------
    def put_intent(self, intent_id: str, extents: list, *, state: str = "Accepted", key: list | None = None, ovn: str | None = None, **extra):
        body = {"extents": extents, "state": state, "uss_base_url": self.base_url, "key": key or [], **extra}
        if "subscription_id" not in extra and "new_subscription" not in extra:
            body["new_subscription"] = {"uss_base_url": self.base_url}
        path = f"/operational_intent_references/{intent_id}" + (f"/{ovn}" if ovn else "")
        return self.call("PUT", path, body)


@pytest.fixture
def uss_factory(http, keys):
    def make(sub: str, scopes: str | None = None) -> Uss:
        return Uss(http, keys[0], sub, scopes if scopes is not None else " ".join(ALL_SCOPES))

    return make


@pytest.fixture
def uss1(uss_factory) -> Uss:
    return uss_factory("uss1")


@pytest.fixture
def uss2(uss_factory) -> Uss:
    return uss_factory("uss2")


# Volumes ---------------------------------------------------------------------------------------


def rfc3339(moment: datetime) -> dict[str, str]:
    return {"value": moment.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def circle(now: datetime, *, lat: float = 46.0, lng: float = 7.0, radius_m: float = 500.0, start_min: float = 10.0,
           minutes: float = 30.0, lower: float = 0.0, upper: float = 120.0) -> dict[str, Any]:
    return {
        "volume": {
            "outline_circle": {"center": {"lat": lat, "lng": lng}, "radius": {"value": radius_m, "units": "M"}},
            "altitude_lower": {"value": lower, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": upper, "reference": "W84", "units": "M"},
        },
        "time_start": rfc3339(now + timedelta(minutes=start_min)),
        "time_end": rfc3339(now + timedelta(minutes=start_min + minutes)),
    }


def square(now: datetime, *, lat: float = 46.0, lng: float = 7.0, half_deg: float = 0.01, start_min: float = 10.0, minutes: float = 30.0) -> dict[str, Any]:
    corners = [(lat - half_deg, lng - half_deg), (lat - half_deg, lng + half_deg), (lat + half_deg, lng + half_deg), (lat + half_deg, lng - half_deg)]
    volume = circle(now, lat=lat, lng=lng, start_min=start_min, minutes=minutes)
    del volume["volume"]["outline_circle"]
    volume["volume"]["outline_polygon"] = {"vertices": [{"lat": a, "lng": o} for a, o in corners]}
    return volume


def new_id() -> str:
    return str(uuid.uuid4())
