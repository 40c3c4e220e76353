// The channel that applies at a place and time, from the agreement's `channels` (GET /v1/agreements/{id}),
// by the rule of Agreement.channel_at: the first channel whose area covers the place (and whose time
// window, if any, holds the time), else the first one without an area. This is for display; the
// server names the channel of every conflict and alert itself. Areas are matched on a sphere
// (circles) and in lon/lat (polygon rings): close to the server's geodesic test except within a few
// metres of an area's edge.

const EARTH_RADIUS_M = 6371008.8;
const rad = (deg) => (deg * Math.PI) / 180;

export function distanceM(lon1, lat1, lon2, lat2) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function insideRing(vertices, lon, lat) {
  let inside = false;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    const [xi, yi] = vertices[i];
    const [xj, yj] = vertices[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function covers(area, lon, lat) {
  if (!area) return true;
  if (area.kind === "circle") return distanceM(area.lon, area.lat, lon, lat) <= area.radius_m;
  return insideRing(area.vertices, lon, lat);
}

function current(channel, when) {
  if (!when) return true;
  if (channel.start && when < new Date(channel.start)) return false;
  if (channel.end && when >= new Date(channel.end)) return false;
  return true;
}

export function channelAt(agreement, lon, lat, when) {
  let fallback = null;
  for (const channel of agreement?.channels ?? []) {
    if (!current(channel, when) || !covers(channel.area, lon, lat)) continue;
    if (channel.area) return channel;
    fallback = fallback ?? channel;
  }
  return fallback;
}
