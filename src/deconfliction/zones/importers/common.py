"""What every zone importer shares: the result (zones and what was skipped, with why), refusals
that name the element at fault, unit conversion at the edge, and stable zone ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from ...errors import InvalidInput
from ...units import feet_to_metres, flight_level_to_metres, nautical_miles_to_metres
from ...models.zones import VerticalLimit, Zone, stable_zone_id
from ..schedule import DEFAULT_HORIZON


@dataclass
class ImportOptions:
    agreement_id: str
    now: datetime
    horizon: timedelta = DEFAULT_HORIZON
    terrain_m: tuple[float, float] | None = None  # (lowest, highest) ground of the area, for AGL limits
    source: str = ""  # the file's name, recorded on each zone


@dataclass
class ImportResult:
    format: str
    zones: list[Zone] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (element, reason)

    def skip(self, element: str, reason: str) -> None:
        self.skipped.append((element, reason))


class Refused(InvalidInput):
    """The file is refused as a whole: `field` names the element, the message the reason."""


def refuse(element: str, reason: str) -> Refused:
    return Refused(reason, field=element)


def zone_id(options: ImportOptions, kind: str, identifier: str) -> str:
    """Stable per agreement and source identifier, so that importing a file again replaces its zones
    (shaped as an F3548 entity id: the zones are the constraint references there)."""
    return stable_zone_id(f"deconfliction:zone:{options.agreement_id}:{kind}:{identifier}")


def length_m(value: float, unit: str, element: str) -> float:
    unit = (unit or "").strip().upper().replace("[NMI_I]", "NM").replace("[FT_I]", "FT")
    if unit in ("M", "METRE", "METER", "METERS", "METRES", ""):
        return float(value)
    if unit in ("FT", "FEET"):
        return feet_to_metres(float(value))
    if unit in ("NM", "NMI"):
        return nautical_miles_to_metres(float(value))
    if unit == "KM":
        return float(value) * 1000.0
    raise refuse(element, f"unknown unit {unit!r}")


def limit(reference: str, value: float = 0.0, unit: str = "M", *, text: str = "", element: str = "") -> VerticalLimit:
    """A vertical limit from a value in the file's unit and a reference: SFC/GND, AGL, AMSL/MSL,
    W84/WGS84, FL/STD, UNL."""
    reference = (reference or "").strip().upper()
    if reference in ("UNL", "UNLIM", "UNLIMITED", "UNLTD"):
        return VerticalLimit(reference="UNL", text=text or "UNL")
    if reference in ("SFC", "GND") and not value:
        return VerticalLimit(reference="SFC", text=text or reference)
    if reference in ("FL", "STD") and (unit or "").upper() in ("FL", ""):
        return VerticalLimit(reference="FL", value_m=flight_level_to_metres(float(value)), text=text or f"FL{value:g}")
    metres = length_m(value, unit, element)
    if reference in ("AGL", "SFC", "GND"):
        return VerticalLimit(reference="AGL", value_m=metres, text=text or f"{value:g} {unit} AGL")
    if reference in ("AMSL", "MSL"):
        return VerticalLimit(reference="AMSL", value_m=metres, text=text or f"{value:g} {unit} AMSL")
    if reference in ("W84", "WGS84"):
        return VerticalLimit(reference="W84", value_m=metres, text=text or f"{value:g} {unit} WGS84")
    if reference == "STD":  # a pressure altitude given in feet or metres: as a flight level
        return VerticalLimit(reference="FL", value_m=metres, text=text or f"{value:g} {unit} STD")
    raise refuse(element, f"unknown vertical reference {reference!r}")


def build_zone(element: str, **fields) -> Zone:
    """A Zone, or a refusal naming the element and the first problem."""
    try:
        return Zone(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("polygon", "circle"))
        raise refuse(f"{element}.{where}" if where else element, error["msg"].removeprefix("Value error, ")) from None
    except ValueError as exc:
        raise refuse(element, str(exc)) from None
