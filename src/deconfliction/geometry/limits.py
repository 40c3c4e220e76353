"""The limits every volume is held to, whatever its agreement says (agreements set smaller ones)."""

# Beyond this a footprint stops being "an area of operations" and the tangent-plane topology used
# for overlap tests would lose accuracy; agreements set much smaller limits of their own.
MAX_FOOTPRINT_RADIUS_M = 2_000_000.0
MAX_ALTITUDE_M = 100_000.0
MIN_ALTITUDE_M = -1_000.0
MAX_VERTICES = 1_000
