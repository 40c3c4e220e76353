"""Agreements: the rules a set of parties signed, loaded from TOML or built in code.

Durations and lengths may be written with units in TOML ('1 h', '5 NM', '1000 ft'); they are
converted to seconds and metres here, once.
"""

from __future__ import annotations

import base64
import re
import tomllib
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo, field_validator, model_validator

from ..errors import InvalidInput
from ..geometry import Footprint, Minima, contains_lon_lat, invalid_from_validation
from ..units import parse_duration, parse_length
from .contacts import ContactError, is_contact_point, split_contacts

# Numbers are JSON numbers: `true` is not 1 m nor "1000" 1000 s (invariant 5); "5 NM" is converted before this.
Number = Annotated[float, Strict()]
Count = Annotated[int, Strict()]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id (letters, digits, '_', '.', '-', at most 64)")
    return value


class Separation(BaseModel):
    """Separation minima: two volumes conflict when closer than all three at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lateral_m: Number = Field(gt=0, le=500_000, description="lateral minimum, metres (> 0: overlapping areas are 0 m apart)")
    vertical_m: Number = Field(ge=0, le=10_000, description="vertical minimum, metres")
    time_buffer_s: Number = Field(default=0.0, ge=0, le=86_400, description="time buffer, seconds")

    def minima(self) -> Minima:
        return Minima(self.lateral_m, self.vertical_m, self.time_buffer_s)


class Channel(BaseModel):
    """An agreed means of direct contact (e.g. a radio frequency), for an area and time or everywhere."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    contact: str = Field(min_length=1, max_length=200, description="e.g. '121.500 MHz' or 'tel:+41...'")
    area: Footprint | None = None
    start: datetime | None = None
    end: datetime | None = None

    def applies(self, lon: float, lat: float, when: datetime | None) -> bool:
        if when is not None and ((self.start and when < self.start) or (self.end and when >= self.end)):
            return False
        return self.area is None or contains_lon_lat(self.area, lon, lat)


class ChannelAssignment(BaseModel):
    """Channels assigned from a pool (see channel_assignment.py): each cluster of conflicting notices
    gets one channel, and clusters closer than `neighbour_distance_m` (while both are active) get
    different ones. The pool's channels have no area: their area is the cluster's."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    pool: list[Channel] = Field(min_length=1, max_length=1000)
    neighbour_distance_m: Number = Field(default=37_040.0, ge=0, le=1_000_000, description="metres (default 20 NM)")

    @field_validator("pool", mode="before")
    @classmethod
    def _pool(cls, pool: Any) -> Any:
        # A pool entry may be written as its contact alone ("123.450 MHz"): it is then its name too.
        if isinstance(pool, list):
            return [{"name": c, "contact": c} if isinstance(c, str) else c for c in pool]
        return pool

    @field_validator("pool")
    @classmethod
    def _plain(cls, pool: list[Channel]) -> list[Channel]:
        names = [c.name for c in pool]
        if len(set(names)) != len(names):
            raise ValueError("pool channel names must be unique")
        if any(c.area is not None or c.start is not None or c.end is not None for c in pool):
            raise ValueError("pool channels take their area and time from the cluster they are assigned to; give only name and contact")
        return pool


class PartyKeySpec(BaseModel):
    """A party's Ed25519 public key as an agreement file lists it (rules/signing.py registers it, with the
    same force as one registered over the API). Validity bounds are UTC instants; without `valid_from`
    the key is valid from when the file is loaded."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    public_key: str = Field(description="Ed25519 public key, raw 32 bytes, base64 (`deconfliction audit keygen` prints one)")
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @field_validator("public_key")
    @classmethod
    def _ed25519(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            raise ValueError("not base64") from None
        if len(raw) != 32:
            raise ValueError(f"an Ed25519 public key is 32 bytes; this is {len(raw)}")
        return value

    @field_validator("valid_from", "valid_until", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> Any:
        # a date-time (TOML's, or RFC 3339 text), never a number taken for seconds since 1970
        if value is not None and not isinstance(value, (str, datetime)):
            raise ValueError("expected a date-time (e.g. 2027-01-01T00:00:00Z)")
        return value

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("give the time zone (e.g. 2027-01-01T00:00:00Z): a local time is no instant")
        return value

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value <= start:
            raise ValueError("valid_until must be after valid_from")
        return value


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1, max_length=200)
    contacts: list[str] = Field(default_factory=list, max_length=20)
    # Registered as party keys when the party is saved (kept in their own table, not with the party).
    keys: list[PartyKeySpec] = Field(default_factory=list, max_length=20, exclude=True,
                                     description="signing keys to register (agreement TOML: [[parties.keys]])")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_id(value)


class Agreement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1, max_length=200)
    parties: list[str] = Field(min_length=1, max_length=1000)
    min_lead_time_s: Number = Field(default=3600.0, ge=0)
    late_notices: Literal["reject", "flag"] = "reject"
    planning_horizon_s: Number = Field(default=30 * 86400.0, gt=0)
    separation: Separation
    notice_ack_deadline_s: Number = Field(default=900.0, gt=0)
    alert_ack_deadline_s: Number = Field(default=60.0, gt=0, description="hotline alerts and line tests, and tactical alerts")
    hotline_ack_deadline_s: Number = Field(default=900.0, gt=0, description="other hotline messages (notice, query, info)")
    hotline_escalation_interval_s: Number = Field(default=60.0, gt=0, description="an overdue message escalates again this often")
    line_test_interval_s: Number = Field(default=0.0, ge=0, description="the system tests each party's line this often; 0: never")
    conflict_policy: Literal["notify", "reject"] = "notify"
    zone_policy: Literal["refuse", "flag"] = Field(
        default="refuse", description="a notice entering a prohibited zone is refused, or accepted and flagged (docs/data.md)"
    )
    channels: list[Channel] = Field(default_factory=list, max_length=1000)
    channel_assignment: ChannelAssignment | None = Field(
        default=None, description="assign conflicts' channels from a pool by graph colouring (docs/channels.md)"
    )
    escalation_contacts: list[str] = Field(
        default_factory=list, max_length=50,
        description="member parties told when an acknowledgment is overdue (a summary: docs/security.md); "
        "e-mail and tel: contacts given here are moved to escalation_contact_points",
    )
    escalation_contact_points: list[str] = Field(
        default_factory=list, max_length=50, description="people to call (mailto:, tel:, e-mail): listed to members, sent nothing"
    )
    observers: list[str] = Field(default_factory=list, max_length=1000, description="members that read and owe no acknowledgment (rules/observers.py)")
    max_area_km2: Number = Field(default=100_000.0, gt=0)
    max_volumes_per_notice: Count = Field(default=100, gt=0, le=10_000)
    max_vertices_per_volume: Count = Field(default=10_000, gt=0, le=100_000, description="polygon vertices per volume (docs/geometry.md)")
    max_vertices_per_request: Count = Field(default=100_000, gt=0, le=10_000_000, description="polygon vertices in all the volumes of one request")
    signatures_required: bool = Field(
        default=False, description="parties must sign what they say (filings, changes, acknowledgments, hotline) with a registered key"
    )
    altitude_display: Literal["feet", "flight_level"] = Field(
        default="feet", description="how the web console shows altitudes: feet, or flight levels for AMSL bands"
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_id(value)

    @field_validator("parties")
    @classmethod
    def _parties(cls, parties: list[str]) -> list[str]:
        for party in parties:
            check_id(party)
        if len(set(parties)) != len(parties):
            raise ValueError("a party is listed twice")
        return parties

    @model_validator(mode="before")
    @classmethod
    def _contacts(cls, data: Any, info: ValidationInfo) -> Any:
        # Contacts that name parties must be members; the rest are contact points, kept apart
        # (models/contacts.py; what each hears: rules/escalation.py).
        if not isinstance(data, dict):
            return data
        for index, point in enumerate(data.get("escalation_contact_points") or []):
            if not is_contact_point(point):
                raise InvalidInput(f"{point!r} is not a contact point (mailto:, tel: or an e-mail address)",
                                   field=f"agreement.escalation_contact_points.{index}")
        if not isinstance(data.get("escalation_contacts"), list):
            return data
        members = data.get("parties") if isinstance(data.get("parties"), list) else []
        if info.context and info.context.get("trusted"):
            members = [c for c in data["escalation_contacts"] if isinstance(c, str) and not is_contact_point(c)]
        try:
            parties, points = split_contacts(data["escalation_contacts"], members)
        except ContactError as exc:
            raise InvalidInput(str(exc), field=f"agreement.escalation_contacts.{exc.index}") from None
        return {**data, "escalation_contacts": parties, "escalation_contact_points": [*data.get("escalation_contact_points", []), *points]}

    @model_validator(mode="after")
    def _observers_are_members(self) -> "Agreement":
        outside = [p for p in self.observers if p not in self.parties]
        if outside:
            raise InvalidInput(f"observers must be member parties; not members: {', '.join(outside)}", field="agreement.observers")
        return self

    @model_validator(mode="after")
    def _unique_channels(self) -> "Agreement":
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError("channel names must be unique")
        return self

    def channel_at(self, lon: float, lat: float, when: datetime | None = None) -> Channel | None:
        """The channel to use at a place and time: the first with an area covering it, else the first without one."""
        fallback = None
        for channel in self.channels:
            if channel.applies(lon, lat, when):
                if channel.area is not None:
                    return channel
                fallback = fallback or channel
        return fallback


# TOML keys that carry units, and the field they fill.
_DURATIONS = {
    "min_lead_time": "min_lead_time_s",
    "planning_horizon": "planning_horizon_s",
    "notice_ack_deadline": "notice_ack_deadline_s",
    "alert_ack_deadline": "alert_ack_deadline_s",
    "hotline_ack_deadline": "hotline_ack_deadline_s",
    "hotline_escalation_interval": "hotline_escalation_interval_s",
    "line_test_interval": "line_test_interval_s",
    "time_buffer": "time_buffer_s",
}
_LENGTHS = {"lateral": "lateral_m", "vertical": "vertical_m", "neighbour_distance": "neighbour_distance_m"}


def _convert_units(table: dict[str, Any], where: str) -> dict[str, Any]:
    out = dict(table)
    for key, target in {**_DURATIONS, **_LENGTHS}.items():
        if key in out:
            value = out.pop(key)
            try:
                out[target] = parse_duration(value, key) if key in _DURATIONS else parse_length(value, key)
            except ValueError as exc:
                raise InvalidInput(str(exc).split(": ", 1)[-1], field=f"{where}.{key}") from None
    return out


def _channel_from_toml(channel: dict[str, Any], where: str) -> dict[str, Any]:
    channel = dict(channel)
    area = channel.pop("area", None)
    if area is not None:
        if isinstance(area, dict) and "radius" in area:
            try:
                radius = parse_length(area["radius"], "radius")
            except ValueError as exc:
                raise InvalidInput(str(exc).split(": ", 1)[-1], field=f"{where}.area.radius") from None
            channel["area"] = {"kind": "circle", "lon": area.get("lon"), "lat": area.get("lat"), "radius_m": radius}
        else:
            channel["area"] = {"kind": "polygon", "vertices": [tuple(p) for p in area]}
    return channel


def agreement_from_dict(data: dict[str, Any]) -> Agreement:
    original_keys = {"agreement": set(data), "agreement.separation": set(data.get("separation") or {})}
    data = _convert_units(data, "agreement")
    if isinstance(data.get("separation"), dict):
        data["separation"] = _convert_units(data["separation"], "agreement.separation")
    data["channels"] = [_channel_from_toml(c, f"agreement.channels.{i}") for i, c in enumerate(data.get("channels", []))]
    if isinstance(data.get("channel_assignment"), dict):
        original_keys["agreement.channel_assignment"] = set(data["channel_assignment"])
        data["channel_assignment"] = _convert_units(data["channel_assignment"], "agreement.channel_assignment")
    try:
        return Agreement.model_validate(data)
    except ValidationError as exc:
        error = invalid_from_validation(exc, "agreement")
        written = {target: key for key, target in {**_DURATIONS, **_LENGTHS}.items()}
        head, _, last = (error.field or "").rpartition(".")
        if last in written and written[last] in original_keys.get(head, ()):
            error.field = f"{head}.{written[last]}"  # name the key as the user wrote it
        raise error from None


def load_toml(text: str) -> tuple[Agreement, list[Party]]:
    """An agreement and its parties from TOML text: an [agreement] table and [[parties]] entries."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML: {exc}") from None
    if "agreement" not in document:
        raise InvalidInput("missing [agreement] table", field="agreement")
    agreement = agreement_from_dict(document["agreement"])
    parties = []
    for i, entry in enumerate(document.get("parties", [])):
        try:
            parties.append(Party.model_validate(entry))
        except ValidationError as exc:
            raise invalid_from_validation(exc, f"parties.{i}") from None
    _no_key_twice(parties)
    known = {p.id for p in parties}
    for party in agreement.parties:
        if party not in known:
            parties.append(Party(id=party, name=party))
    return agreement, parties


def _no_key_twice(parties: list[Party]) -> None:
    seen: dict[bytes, str] = {}
    for i, party in enumerate(parties):
        for j, key in enumerate(party.keys):
            raw = base64.b64decode(key.public_key)
            if raw in seen:
                raise InvalidInput(f"this key is already listed ({seen[raw]}): a key belongs to one party, once",
                                   field=f"parties.{i}.keys.{j}.public_key")
            seen[raw] = f"parties.{i}.keys.{j}"
