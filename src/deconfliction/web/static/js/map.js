// The map: a world outline (no tiles: nothing is fetched from elsewhere), the notices' volumes, the
// conflicts, the agreement's channel areas and live aircraft. Leaflet (vendored, window.L) draws
// SVG paths; their CSS classes (console.css) say what each one is, and the tests look for them.

import { el, height, metres, utc } from "./dom.js";

const L = window.L;
const TRAIL = 20; // positions kept per aircraft

const latLng = ([lon, lat]) => [lat, lon];

function shape(footprint, options) {
  if (footprint.kind === "circle") return L.circle([footprint.lat, footprint.lon], { ...options, radius: footprint.radius_m });
  return L.polygon(footprint.vertices.map(latLng), options);
}

/** A channel plan's area (GeoJSON-like: Polygon, Point with radius_m, GeometryCollection; null: everywhere). */
function planShapes(area, options) {
  if (!area) return [];
  if (area.type === "GeometryCollection") return area.geometries.flatMap((g) => planShapes(g, options));
  if (area.type === "Point") return [L.circle(latLng(area.coordinates), { ...options, radius: area.radius_m })];
  if (area.type === "Polygon") return [L.polygon(area.coordinates[0].map(latLng), options)];
  return [];
}

const during = (start, end, t) => t === null || (new Date(start) <= t && t < new Date(end));

export class ConsoleMap {
  constructor(element, { onPlace, onConflict }) {
    this.map = L.map(element, { minZoom: 1, maxZoom: 17, zoomSnap: 0.25, worldCopyJump: true });
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution("Leaflet · Natural Earth");
    this.map.setView([20, 0], 2);
    L.control.scale({ imperial: true }).addTo(this.map);
    this.layers = {};
    for (const name of ["world", "channels", "volumes", "conflicts", "aircraft"]) this.layers[name] = L.layerGroup().addTo(this.map);
    this.timed = []; // [layer, start, end]: dimmed outside the chosen time
    this.trails = new Map(); // aircraft key -> {marker, trail, points}
    this.onConflict = onConflict;
    this.map.on("click", (event) => onPlace(event.latlng.wrap()));
  }

  async loadWorld(url) {
    const reply = await fetch(url);
    const world = await reply.json();
    L.geoJSON(world, { className: "world", interactive: false }).addTo(this.layers.world);
  }

  /** Draw the notices (own and others', minimised) and the conflicts between them. */
  show({ notices, conflicts, me, channels = [] }) {
    for (const name of ["channels", "volumes", "conflicts"]) this.layers[name].clearLayers();
    this.timed = [];
    for (const channel of channels) {
      for (const layer of planShapes(channel.area, { className: "channel-area", interactive: false, fill: false, weight: 1 })) layer.addTo(this.layers.channels);
    }
    const contested = new Set(conflicts.flatMap((c) => [c.notice_a, c.notice_b]));
    for (const notice of notices) {
      const whose = notice.party_id === me ? "own" : "other";
      notice.volumes.forEach((volume, index) => {
        const classes = ["volume", whose, contested.has(notice.id) ? "in-conflict" : ""].join(" ").trim();
        const layer = shape(volume.footprint, { className: classes, weight: 2, fillOpacity: 0.25 }).addTo(this.layers.volumes);
        layer.getElement()?.setAttribute("data-notice", notice.id);
        layer.bindTooltip(this.describe(notice, volume, index), { sticky: true });
        this.timed.push([layer, volume.time.start, volume.time.end]);
      });
    }
    for (const conflict of conflicts) {
      const marker = L.circleMarker(latLng(conflict.where), { className: "conflict-marker", radius: 8, fillOpacity: 1 })
        .addTo(this.layers.conflicts);
      marker.getElement()?.setAttribute("data-conflict", conflict.id);
      marker.bindTooltip(el("div", {}, el("strong", {}, `Conflict ${conflict.party_a} / ${conflict.party_b}`),
        el("div", {}, `lateral ${metres(conflict.lateral_m)}, vertical ${height(conflict.vertical_m)}`),
        el("div", {}, `${utc(conflict.time_start)} – ${utc(conflict.time_end)}`),
        conflict.channel ? el("div", {}, `channel ${conflict.channel.name}: ${conflict.channel.contact}`) : null));
      marker.on("click", (event) => {
        L.DomEvent.stopPropagation(event);
        this.onConflict(conflict);
      });
      this.timed.push([marker, conflict.time_start, conflict.time_end]);
    }
  }

  describe(notice, volume, index) {
    const band = volume.altitude;
    return el("div", {},
      el("strong", {}, `${notice.party_id} · ${notice.state}`),
      notice.private?.reference ? ` (${notice.private.reference})` : "",
      el("div", {}, `notice ${notice.id.slice(0, 8)}… volume ${index + 1}`),
      el("div", {}, `${height(band.lower_m)} – ${height(band.upper_m)} ${band.datum}`),
      el("div", {}, `${utc(volume.time.start)} – ${utc(volume.time.end)}`));
  }

  /** Dim everything not live at `t` (a Date), or nothing when `t` is null ("all times"). */
  setTime(t) {
    for (const [layer, start, end] of this.timed) layer.getElement()?.classList.toggle("off-time", !during(start, end, t));
  }

  fit() {
    const group = L.featureGroup([...this.layers.volumes.getLayers(), ...this.layers.conflicts.getLayers()]);
    if (group.getLayers().length) this.map.fitBounds(group.getBounds().pad(0.15), { maxZoom: 13 });
  }

  focus(lon, lat) {
    this.map.setView([lat, lon], Math.max(this.map.getZoom(), 11));
  }

  /** Aircraft positions (from the monitor's alerts), with a short trail each. */
  moveAircraft(states) {
    for (const state of states) {
      const key = `${state.party}/${state.aircraft}`;
      const at = [state.lat, state.lon];
      let item = this.trails.get(key);
      if (!item) {
        const marker = L.circleMarker(at, { className: "aircraft", radius: 6, fillOpacity: 1 }).addTo(this.layers.aircraft);
        // An element, not a string: Leaflet would parse a string as HTML, and callsigns come from other parties.
        marker.bindTooltip(el("span", {}, state.callsign || state.aircraft), { permanent: true, direction: "right", className: "callsign" });
        item = { marker, trail: L.polyline([], { className: "trail", interactive: false }).addTo(this.layers.aircraft), points: [] };
        this.trails.set(key, item);
      }
      item.points = [...item.points, at].slice(-TRAIL);
      item.marker.setLatLng(at);
      item.trail.setLatLngs(item.points);
    }
  }

  /** Forget the aircraft whose keys ("party/aircraft") are not in `keys` (no longer tracked). */
  keepAircraft(keys) {
    for (const [key, item] of this.trails) {
      if (keys.has(key)) continue;
      this.layers.aircraft.removeLayer(item.marker).removeLayer(item.trail);
      this.trails.delete(key);
    }
  }

  clearAircraft() {
    this.layers.aircraft.clearLayers();
    this.trails.clear();
  }

  popup(latlng, content) {
    L.popup().setLatLng(latlng).setContent(content).openOn(this.map);
  }
}
