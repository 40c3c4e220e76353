"""Zones (constraints): areas of an agreement with a restriction, vertical limits and a schedule.

`model` holds the record, `check` what a filing learns from them, `importers/` reads ED-318/ED-269,
AIXM 5.1 and OpenAir files into zones (docs/data.md).
"""

from .model import RESTRICTIONS, VerticalLimit, Zone, ZoneHit

__all__ = ["RESTRICTIONS", "VerticalLimit", "Zone", "ZoneHit"]
