"""Wire shapes: request models (strict: unknown fields are refused, naming the field), converters
between JSON and the facade's types, and the JSON response helper."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInput
from ..geometry import Volume4D, load_volumes
from ..models import Filing, Finding, NoticePrivate


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
VolumesField = Field(
    description="One or more volumes in any shape the service reads: ASTM F3548 Volume4D objects, GeoJSON "
    "(Feature/FeatureCollection with altitude and time properties), or {footprint, altitude, time}.",
    examples=[[{"footprint": {"kind": "circle", "lon": 2.35, "lat": 48.85, "radius_m": 500},
                "altitude": {"lower_m": 0, "upper_m": 300, "datum": "W84"},
                "time": {"start": "2030-06-01T09:00:00Z", "end": "2030-06-01T10:00:00Z"}}]],
)


class Strict(BaseModel):
    # Unknown fields refused, and no coercion: `true` or "100" is not a number, 7 is not a string (invariant 5).
    model_config = ConfigDict(extra="forbid", strict=True)


class NoticeIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    volumes: list[dict[str, Any]] | dict[str, Any] = VolumesField
    key: list[str] = Field(default_factory=list, max_length=10_000, description="current versions of the conflicting notices you reviewed")
    private: NoticePrivate | None = Field(default=None, description="your own reference and remarks; never shown to anyone else")
    id: str | None = Field(default=None, pattern=ID_PATTERN, description="choose the notice id, scoped to its agreement: stored and shown as `<agreement_id>:<id>` (default: a new UUID)")


class NoticeChangeIn(Strict):
    version: str | None = Field(default=None, max_length=100, description="the version you are changing (or send If-Match)")
    volumes: list[dict[str, Any]] | dict[str, Any] | None = None
    state: Literal["active", "ended", "cancelled"] | None = None
    key: list[str] = Field(default_factory=list, max_length=10_000)
    private: NoticePrivate | None = None


class VersionIn(Strict):
    version: str | None = Field(default=None, max_length=100)


class CheckIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=64)
    volumes: list[dict[str, Any]] | dict[str, Any] = VolumesField
    exclude: str | None = Field(default=None, max_length=200, description="a notice of yours to leave out (checking a change to it)")


def volumes_from(raw: Any, now: datetime, field: str = "volumes") -> list[Volume4D]:
    """Volumes from any accepted shape; errors name the field inside the request (volumes.0.time_start …)."""
    try:
        return load_volumes(raw, now=now)
    except InvalidInput as exc:
        if isinstance(raw, list):  # load_volumes names list items volumes.<i>.…
            exc.field = field + (exc.field or "").removeprefix("volumes") if (exc.field or "").startswith("volumes") else field
        else:
            exc.field = f"{field}.{exc.field}" if exc.field else field
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise InvalidInput(f"not a volume: {exc}", field=field) from None


def version_from(if_match: str | None, body_version: str | None) -> str | None:
    """The version a change is made from: If-Match (an ETag, quoted or not) or the body's `version`."""
    header = None
    if if_match:
        header = if_match.strip().removeprefix("W/").strip('"')
    if header and body_version and header != body_version:
        raise InvalidInput("If-Match and the body's version differ", field="version")
    return header or body_version


def filing_body(filing: Filing) -> dict:
    return {
        "notice": filing.notice.model_dump(mode="json"),
        "conflicts": [c.model_dump(mode="json") for c in filing.conflicts],
        "late": filing.late,
        "zones": [hit.model_dump(mode="json") for hit in filing.zones],
    }


def finding_body(finding: Finding) -> dict:
    closest = finding.closest
    return {
        "notice": finding.notice.minimised().model_dump(mode="json"),
        "lateral_m": closest.lateral_m,
        "vertical_m": closest.vertical_m,
        "time_start": closest.time_start.isoformat(),
        "time_end": closest.time_end.isoformat(),
        "where": list(closest.where),
    }


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def etag(version: str) -> dict[str, str]:
    return {"ETag": f'"{version}"'}
