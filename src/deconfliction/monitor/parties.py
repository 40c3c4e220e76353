"""Who an ADS-B aircraft belongs to, for feeds that carry no party: its operator.

An airline callsign is the operator's three-letter ICAO designator followed by the flight number
(AFR1234, EJU12AB). Anything else — registrations (FHMJP), empty or odd callsigns — gives no
operator, and the aircraft is then a party of its own, named by its icao24 address.

The party is fixed the first time an aircraft is seen, so that a callsign change in mid-flight
cannot split one aircraft into two tracks (two tracks at one place would be a false loss of
separation).
"""

from __future__ import annotations

import re

_AIRLINE = re.compile(r"^([A-Z]{3})\d")


def operator_of(callsign: str | None, icao24: str) -> str:
    match = _AIRLINE.match((callsign or "").strip().upper())
    return match.group(1) if match else icao24.lower()


class PartyAssigner:
    """`assigner(icao24, callsign) -> party`, by callsign prefix (default) or by icao24 alone."""

    def __init__(self, by: str = "callsign-prefix"):
        if by not in ("callsign-prefix", "icao24"):
            raise ValueError(f"party-by must be 'callsign-prefix' or 'icao24' (got {by!r})")
        self.by = by
        self.pinned: dict[str, str] = {}

    def __call__(self, icao24: str, callsign: str | None) -> str:
        party = self.pinned.get(icao24)
        if party is None:
            party = operator_of(callsign, icao24) if self.by == "callsign-prefix" else icao24.lower()
            self.pinned[icao24] = party
        return party
