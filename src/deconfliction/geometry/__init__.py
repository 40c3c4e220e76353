"""Exact 4-D geometry: pure functions, no I/O."""

from .bounds import Box, index_boxes, search_boxes
from .distance import LateralDistance, contains_lon_lat, footprint_covers, lateral_distance, point_to_geodesic
from .footprint import area_at_most_m2, area_m2
from .parse import invalid_from_validation, load_volumes, volume_from_f3548, volume_to_f3548, volumes_from_geojson
from .separation import (
    Minima,
    VolumeConflict,
    contains_position,
    time_separation,
    vertical_separation,
    volume_conflict,
    volume_covers,
)
from .volume import AltitudeBand, Circle, Footprint, Polygon, TimeWindow, Volume4D

__all__ = [
    "AltitudeBand",
    "Box",
    "Circle",
    "Footprint",
    "LateralDistance",
    "Minima",
    "Polygon",
    "TimeWindow",
    "Volume4D",
    "VolumeConflict",
    "area_at_most_m2",
    "area_m2",
    "contains_lon_lat",
    "contains_position",
    "footprint_covers",
    "index_boxes",
    "invalid_from_validation",
    "lateral_distance",
    "load_volumes",
    "point_to_geodesic",
    "search_boxes",
    "time_separation",
    "vertical_separation",
    "volume_conflict",
    "volume_covers",
    "volume_from_f3548",
    "volume_to_f3548",
    "volumes_from_geojson",
]
