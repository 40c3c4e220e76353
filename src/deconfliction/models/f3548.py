"""What the F3548 interface keeps beyond notices: kept in its own tables (migration 003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..geometry import Volume4D

IntentState = Literal["Accepted", "Activated", "Nonconforming", "Contingent"]
Availability = Literal["Unknown", "Normal", "Down"]


class IntentRecord(BaseModel):
    """F3548 facts about a notice filed through /dss/v1 (the notice itself is an ordinary notice).

    `version` is F3548's numeric version; it counts the writes made through /dss/v1, and `ovn` is the
    notice version it was counted at, so a change made through the native API counts once more.
    `entity_id` is the id USSs know it by when that is not the notice's (an id used again after its
    intent was deleted: f3548/ids.py)."""

    notice_id: str
    entity_id: str | None = None
    agreement_id: str
    manager: str
    state: IntentState
    version: int = 1
    ovn: str
    uss_base_url: str
    subscription_id: str | None = None

    @property
    def id(self) -> str:
        return self.entity_id or self.notice_id


class _Spanning(BaseModel):
    """A record over `volumes` (each record declares them), spanning from the earliest start to the
    latest end."""

    @property
    def time_start(self) -> datetime:
        return min(v.time.start for v in self.volumes)

    @property
    def time_end(self) -> datetime:
        return max(v.time.end for v in self.volumes)


class SubscriptionRecord(_Spanning):
    id: str
    agreement_id: str
    manager: str
    version: str
    notification_index: int = 0
    uss_base_url: str
    notify_for_operational_intents: bool = False
    notify_for_constraints: bool = False
    implicit: bool = False
    volumes: list[Volume4D] = Field(min_length=1)


class UssAvailability(BaseModel):
    uss_id: str
    availability: Availability = "Unknown"
    version: str = ""  # "" until someone sets it, as the reference DSS answers
    updated_at: datetime | None = None


class DssReport(BaseModel):
    id: str
    reporter: str
    report: dict[str, Any]
    created_at: datetime
