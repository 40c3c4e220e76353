"""The size of what a request asks the geometry to compare, bounded per agreement, so that no request
can buy unbounded work: vertices per volume, volumes per notice, vertices per request. Refused with a
400 naming the field, before any geometry runs."""

from __future__ import annotations

from ..models.agreements import Agreement
from ..errors import InvalidInput
from ..geometry import Volume4D


def vertex_count(volume: Volume4D) -> int:
    """A polygon's vertices; a circle counts as one."""
    return len(getattr(volume.footprint, "vertices", ())) or 1


def check_size(agreement: Agreement, volumes: list[Volume4D], field: str = "volumes") -> None:
    if len(volumes) > agreement.max_volumes_per_notice:
        raise InvalidInput(f"at most {agreement.max_volumes_per_notice} volumes per notice (got {len(volumes)})", field=field)
    total = 0
    for i, volume in enumerate(volumes):
        count = vertex_count(volume)
        if count > agreement.max_vertices_per_volume:
            raise InvalidInput(
                f"{count:,} vertices exceed the agreement's limit of {agreement.max_vertices_per_volume:,} per volume",
                field=f"{field}.{i}.footprint.vertices",
            )
        total += count
    if total > agreement.max_vertices_per_request:
        raise InvalidInput(f"{total:,} vertices in all exceed the agreement's limit of {agreement.max_vertices_per_request:,} per request", field=field)
