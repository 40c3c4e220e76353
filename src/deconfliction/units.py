"""Aviation units at the edges, SI inside.

Every conversion is explicit and named after what it converts, so that a value
in feet can never silently pass for metres.
"""

from __future__ import annotations

import re

FOOT_M = 0.3048
NAUTICAL_MILE_M = 1852.0
KNOT_MS = NAUTICAL_MILE_M / 3600.0
FEET_PER_MINUTE_MS = FOOT_M / 60.0


def feet_to_metres(feet: float) -> float:
    return feet * FOOT_M


def metres_to_feet(metres: float) -> float:
    return metres / FOOT_M


def flight_level_to_metres(flight_level: float) -> float:
    """FL350 → 10668 m. A flight level is a pressure altitude in hundreds of feet;
    it is converted on the standard atmosphere, as an altitude above mean sea level."""
    return flight_level * 100.0 * FOOT_M


def nautical_miles_to_metres(nm: float) -> float:
    return nm * NAUTICAL_MILE_M


def metres_to_nautical_miles(metres: float) -> float:
    return metres / NAUTICAL_MILE_M


def knots_to_metres_per_second(knots: float) -> float:
    return knots * KNOT_MS


def metres_per_second_to_knots(ms: float) -> float:
    return ms / KNOT_MS


def metres_to_flight_level(metres: float) -> int:
    """2591 m → 85 (FL085): the inverse of flight_level_to_metres, to the nearest hundred feet, never below 0."""
    return max(0, round(metres / FOOT_M / 100.0))


def feet_per_minute_to_metres_per_second(fpm: float) -> float:
    return fpm * FEET_PER_MINUTE_MS


_LENGTH = {"m": 1.0, "km": 1000.0, "ft": FOOT_M, "nm": NAUTICAL_MILE_M}
_DURATION = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_QUANTITY = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")


def parse_length(value: float | int | str, field: str = "length") -> float:
    """A length in metres from a number (metres) or a string such as '5 NM', '1000 ft', '2 km'.
    'FL350' is read as a flight level."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a length, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.upper().startswith("FL") and text[2:].strip().isdigit():
        return flight_level_to_metres(float(text[2:]))
    match = _QUANTITY.match(text)
    if not match or match.group(2).lower() not in _LENGTH:
        raise ValueError(f"{field}: cannot read {value!r} as a length (use metres, or '5 NM', '1000 ft', '2 km', 'FL350')")
    return float(match.group(1)) * _LENGTH[match.group(2).lower()]


def parse_duration(value: float | int | str, field: str = "duration") -> float:
    """A duration in seconds from a number (seconds) or a string such as '30 min', '24 h', '7 d'."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a duration, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match or match.group(2).lower() not in _DURATION:
        raise ValueError(f"{field}: cannot read {value!r} as a duration (use seconds, or '30 min', '24 h', '7 d')")
    return float(match.group(1)) * _DURATION[match.group(2).lower()]
