"""Quantities for people on duty: aviation units first (FL or ft, NM, kt, heading), SI beside.

The conversions themselves are in `deconfliction.units`; this module only words them, the way the
web console's units.js does, so that a terminal and a browser read alike. `--json` never passes here:
it stays SI.
"""

from __future__ import annotations

from typing import Literal

from ..units import metres_per_second_to_knots, metres_to_feet, metres_to_flight_level, metres_to_nautical_miles

AltitudeDisplay = Literal["feet", "flight_level"]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def flight_level(metres: float) -> str:
    return f"FL{metres_to_flight_level(metres):03d}"


def _as_flight_level(datum: str, display: str) -> bool:
    # A flight level is a pressure altitude: only an AMSL height reads as one (a W84 height does not).
    return display == "flight_level" and datum == "AMSL"


def altitude(metres: float | None, datum: str = "AMSL", display: str = "feet") -> str:
    """'FL085 (2,591 m AMSL)' or '8,500 ft AMSL (2,591 m)'."""
    if metres is None:
        return "altitude unknown"
    if _as_flight_level(datum, display):
        return f"{flight_level(metres)} ({_n(metres)} m {datum})"
    return f"{_n(metres_to_feet(metres))} ft {datum} ({_n(metres)} m)"


def band(lower_m: float, upper_m: float, datum: str, display: str = "feet") -> str:
    """'FL050–FL085 (1,524–2,591 m AMSL)' or '1,500–5,000 ft AMSL (457–1,524 m)'."""
    if _as_flight_level(datum, display):
        return f"{flight_level(lower_m)}–{flight_level(upper_m)} ({_n(lower_m)}–{_n(upper_m)} m {datum})"
    return f"{_n(metres_to_feet(lower_m))}–{_n(metres_to_feet(upper_m))} ft {datum} ({_n(lower_m)}–{_n(upper_m)} m)"


def short_altitude(metres: float | None, datum: str = "AMSL", display: str = "feet") -> str:
    """For a narrow column: 'FL085' or '8,500 ft'."""
    if metres is None:
        return "alt ?"
    return flight_level(metres) if _as_flight_level(datum, display) else f"{_n(metres_to_feet(metres))} ft"


def nautical_miles(metres: float) -> str:
    nm = metres_to_nautical_miles(metres)
    return f"{nm:.2f} NM" if nm < 10 else f"{nm:,.1f} NM"


def si_length(metres: float) -> str:
    """Metres under 10 km, kilometres beyond."""
    return f"{_n(metres)} m" if metres < 10_000 else f"{metres / 1000:,.1f} km"


def distance(metres: float) -> str:
    """'0.54 NM (1,000 m)', '13.5 NM (25.0 km)'."""
    return f"{nautical_miles(metres)} ({si_length(metres)})"


def feet(metres: float) -> str:
    """A height difference in feet alone, for a narrow column: '500 ft'."""
    return f"{_n(metres_to_feet(metres))} ft"


def height(metres: float) -> str:
    """A height difference: '1,000 ft (305 m)'."""
    return f"{feet(metres)} ({_n(metres)} m)"


def vertical_gap(metres: float) -> str:
    """'500 ft (152 m)', or 'overlapping' when the bands share heights (a gap of 0 m)."""
    return "overlapping" if metres <= 0 else height(metres)


def knots(ms: float) -> str:
    """A ground speed for a narrow place: '389 kt'."""
    return f"{metres_per_second_to_knots(ms):,.0f} kt"


def speed(ms: float | None) -> str:
    """'389 kt (200 m/s)'."""
    return "speed unknown" if ms is None else f"{metres_per_second_to_knots(ms):,.0f} kt ({ms:,.0f} m/s)"


def heading(degrees: float | None) -> str:
    """'090°' (true)."""
    return "" if degrees is None else f"{round(degrees % 360) % 360:03d}°"
