"""What the rules hand back to their callers: a write's outcome and the conflicts a check finds."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..geometry import VolumeConflict
from .domain import Conflict, Notice


@dataclass
class Filing:
    """What a write did: the notice as stored, the conflicts it now has, and whether it came late."""

    notice: Notice
    conflicts: list[Conflict] = field(default_factory=list)
    late: bool = False
    zones: list = field(default_factory=list)  # ZoneHit: the zones its volumes reach into (rules/zones.py)


@dataclass(frozen=True)
class Finding:
    """A live notice of another party that some volumes conflict with, and where they come closest."""

    notice: Notice
    closest: VolumeConflict


class Check(list):
    """What filing some volumes would meet, without writing: the conflicting notices (a list of
    Finding: their versions form the key), and the agreement's zones as filing would report them —
    `zones` (ZoneHit: every zone entered, with its contact and message) and `refusal`, set when
    filing would be refused by a prohibited zone ({"code", "message", "field"}), else None."""

    def __init__(self, findings=(), zones: list | None = None, refusal: dict | None = None):
        super().__init__(findings)
        self.zones = list(zones or [])
        self.refusal = refusal
