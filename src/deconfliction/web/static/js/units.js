// Aviation units first, SI beside them (the system is SI and UTC inside; people on duty read feet,
// flight levels, nautical miles, knots and headings). Every conversion is explicit and in one place.

export const FOOT_M = 0.3048;
export const NM_M = 1852;
export const KNOT_MS = 1852 / 3600;

const group = (n) => Math.round(n).toLocaleString("en-US").replace(/,/g, "\u202f"); // 12 500 (narrow space)

/** "FL085" from metres above mean sea level: a flight level is a pressure altitude, equal to AMSL on the
 *  standard atmosphere, in hundreds of feet. */
export const flightLevel = (m) => `FL${String(Math.max(0, Math.round(m / FOOT_M / 100))).padStart(3, "0")}`;

/** One altitude, aviation first: "FL085 (2 591 m AMSL)" or "8 500 ft AMSL (2 591 m)". Flight levels only
 *  for AMSL (W84 heights are not pressure altitudes). `display`: the agreement's altitude_display. */
export function altitude(m, datum = "AMSL", display = "feet") {
  if (m === null || m === undefined || Number.isNaN(m)) return "altitude unknown";
  if (display === "flight_level" && datum === "AMSL") return `${flightLevel(m)} (${group(m)} m ${datum})`;
  return `${group(m / FOOT_M)} ft ${datum} (${group(m)} m)`;
}

/** An altitude band: "FL050–FL085 (1 524–2 591 m AMSL)" or "0–2 000 ft W84 (0–610 m)". */
export function band({ lower_m, upper_m, datum }, display = "feet") {
  if (display === "flight_level" && datum === "AMSL") return `${flightLevel(lower_m)}–${flightLevel(upper_m)} (${group(lower_m)}–${group(upper_m)} m ${datum})`;
  return `${group(lower_m / FOOT_M)}–${group(upper_m / FOOT_M)} ft ${datum} (${group(lower_m)}–${group(upper_m)} m)`;
}

/** A short altitude for a label: "FL085" or "8500 ft". */
export function shortAltitude(m, datum = "AMSL", display = "feet") {
  if (m === null || m === undefined || Number.isNaN(m)) return "alt ?";
  return display === "flight_level" && datum === "AMSL" ? flightLevel(m) : `${Math.round(m / FOOT_M / 100) * 100} ft`;
}

/** A horizontal distance: "0.54 NM (1 000 m)"; under a tenth of a NM, in metres only would hide the unit people use. */
export const distance = (m) => `${(m / NM_M).toFixed(m < 100 * NM_M ? 2 : 0)} NM (${group(m)} m)`;

/** A vertical gap: "500 ft (152 m)". */
export const gap = (m) => `${group(m / FOOT_M)} ft (${group(m)} m)`;

/** Ground speed: "389 kt (200 m/s)". */
export const speed = (ms) => (ms === null || ms === undefined ? "speed ?" : `${Math.round(ms / KNOT_MS)} kt (${Math.round(ms)} m/s)`);
export const knots = (ms) => (ms === null || ms === undefined ? "" : `${Math.round(ms / KNOT_MS)}kt`);

/** A heading (true): "090°". */
export const heading = (deg) => (deg === null || deg === undefined ? "" : `${String(Math.round(((deg % 360) + 360) % 360) % 360).padStart(3, "0")}°`);
