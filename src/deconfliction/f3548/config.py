"""Which agreement the interface serves, and the standard's limits (uas_standards' constants)."""

from __future__ import annotations

from dataclasses import dataclass

from uas_standards.astm.f3548.v21 import constants

from ..geometry.volume import MAX_VERTICES

# The reference DSS refuses areas above 2500 km² (its S2 coverings) with 413; we keep that figure for
# operational intents, subscriptions and queries so that a USS sees the same limits as with it.
REFERENCE_DSS_MAX_AREA_KM2 = 2500.0


@dataclass(frozen=True)
class F3548Config:
    agreement_id: str
    max_area_km2: float = REFERENCE_DSS_MAX_AREA_KM2
    constraint_max_area_km2: float = float(constants.CstrMaxAreaKm2)
    # The standard's limits (10000 vertices for intents), within what our geometry takes (MAX_VERTICES).
    intent_max_vertices: int = min(constants.OiMaxVertices, MAX_VERTICES)
    constraint_max_vertices: int = min(constants.CstrMaxVertices, MAX_VERTICES)
    intent_horizon_days: float = constants.OiMaxPlanHorizonDays
    constraint_horizon_days: float = constants.CstrMaxPlanningHorizonDays
    subscription_max_hours: float = constants.DSSMaxSubscriptionDurationHours
    # Where this server serves the details of the operator's zones (their `uss_base_url`): set per
    # request from the address the caller used (api/f3548/routes.py).
    zone_details_url: str = ""
