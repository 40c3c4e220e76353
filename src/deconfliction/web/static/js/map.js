// The map: the offline base map (basemap.js: nothing is fetched from elsewhere), the notices' volumes
// with a label each, the conflicts, the agreement's channel areas and live aircraft with a data label
// (callsign, altitude, speed, heading), decluttered. Leaflet (vendored, window.L) draws SVG paths; their
// CSS classes (console.css) say what each one is, and the tests look for them. Every shape a person can
// act on has an accessible name and is reachable with the keyboard (Tab, then Enter).

import { BaseMap } from "./basemap.js";
import { el, utc } from "./dom.js";
import { NauticalScale } from "./scale.js";
import { band, distance, gap, heading, knots, shortAltitude } from "./units.js";

const L = window.L;
const TRAIL = 20; // positions kept per aircraft
const LABEL_BOX = [92, 30]; // px an aircraft label takes: a closer one is hidden (decluttered)

const latLng = ([lon, lat]) => [lat, lon];

export function shape(footprint, options) {
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

/** Make an SVG shape a keyboard-reachable, named control that runs `action` on Enter or Space. */
export function actionable(layer, name, action) {
  const node = layer.getElement();
  if (!node) return;
  node.setAttribute("tabindex", "0");
  node.setAttribute("role", "button");
  node.setAttribute("aria-label", name);
  node.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      action();
    }
  });
}

/** The short name people use for a notice: its owner and reference (own notices), else its id's start. */
export const noticeName = (notice) => `${notice.party_id} ${notice.private?.reference || notice.id.slice(0, 8)}`;

export class ConsoleMap {
  constructor(element, { onPlace, onConflict, onNotice }) {
    this.map = L.map(element, { minZoom: 1, maxZoom: 17, zoomSnap: 0.25, worldCopyJump: true, keyboard: true });
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution("Leaflet · Natural Earth · GeoNames");
    this.map.setView([20, 0], 2);
    new NauticalScale().addTo(this.map);
    this.base = new BaseMap(this.map);
    this.layers = {};
    for (const name of ["channels", "volumes", "conflicts", "aircraft"]) this.layers[name] = L.layerGroup().addTo(this.map);
    this.timed = []; // [layer, start, end]: dimmed outside the chosen time
    this.trails = new Map(); // aircraft key -> {marker, trail, points, state}
    this.byNotice = new Map(); // notice id -> its layers
    this.onConflict = onConflict;
    this.onNotice = onNotice;
    this.display = "feet";
    this.map.on("click", (event) => onPlace(event.latlng.wrap()));
    this.map.on("zoomend moveend", () => this.declutter());
    this.map.on("zoomend", () => element.classList.toggle("far", this.map.getZoom() < 8));
    element.classList.add("far");
  }

  loadBase() {
    return this.base.load();
  }

  /** Draw the notices (own and others', minimised) and the conflicts between them. */
  show({ notices, conflicts, me, channels = [], display = "feet" }) {
    this.display = display;
    for (const name of ["channels", "volumes", "conflicts"]) this.layers[name].clearLayers();
    this.timed = [];
    this.byNotice.clear();
    for (const channel of channels) {
      for (const layer of planShapes(channel.area, { className: "channel-area", interactive: false, fill: false, weight: 1 })) layer.addTo(this.layers.channels);
    }
    const contested = new Set(conflicts.flatMap((c) => [c.notice_a, c.notice_b]));
    for (const notice of notices) {
      const whose = notice.party_id === me ? "own" : "other";
      const layers = [];
      notice.volumes.forEach((volume, index) => {
        const classes = ["volume", whose, contested.has(notice.id) ? "in-conflict" : ""].join(" ").trim();
        const layer = shape(volume.footprint, { className: classes, weight: 2, fillOpacity: 0.25 }).addTo(this.layers.volumes);
        layer.getElement()?.setAttribute("data-notice", notice.id);
        layer.bindTooltip(this.describe(notice, volume, index), { sticky: true });
        const name = `${whose === "own" ? "your" : `${notice.party_id}'s`} notice ${noticeName(notice)}, volume ${index + 1}, ${notice.state}, ${band(volume.altitude, display)}, ${utc(volume.time.start)} to ${utc(volume.time.end)}`;
        actionable(layer, name, () => this.onNotice(notice));
        layer.on("click", (event) => {
          L.DomEvent.stopPropagation(event);
          this.onNotice(notice);
        });
        if (index === 0) {
          L.tooltip({ permanent: true, direction: "center", className: `notice-label ${whose}`, interactive: false })
            .setLatLng(layer.getBounds().getCenter()).setContent(el("span", {}, noticeName(notice))).addTo(this.layers.volumes);
        }
        this.timed.push([layer, volume.time.start, volume.time.end]);
        layers.push(layer);
      });
      this.byNotice.set(notice.id, layers);
    }
    requestAnimationFrame(() => this.declutter()); // once the labels are laid out
    for (const conflict of conflicts) {
      const marker = L.circleMarker(latLng(conflict.where), { className: "conflict-marker", radius: 8, fillOpacity: 1 })
        .addTo(this.layers.conflicts);
      marker.getElement()?.setAttribute("data-conflict", conflict.id);
      const vertical = conflict.vertical_m > 0 ? `vertical ${gap(conflict.vertical_m)}` : "vertically overlapping";
      marker.bindTooltip(el("div", {}, el("strong", {}, `Conflict ${conflict.party_a} / ${conflict.party_b}`),
        el("div", {}, `lateral ${distance(conflict.lateral_m)}, ${vertical}`),
        el("div", {}, `${utc(conflict.time_start)} – ${utc(conflict.time_end)}`),
        conflict.channel ? el("div", {}, `channel ${conflict.channel.name}: ${conflict.channel.contact}`) : null));
      actionable(marker, `conflict between ${conflict.party_a} and ${conflict.party_b}, lateral ${distance(conflict.lateral_m)}, ${vertical}`, () => this.onConflict(conflict));
      marker.on("click", (event) => {
        L.DomEvent.stopPropagation(event);
        this.onConflict(conflict);
      });
      this.timed.push([marker, conflict.time_start, conflict.time_end]);
    }
  }

  describe(notice, volume, index) {
    return el("div", {},
      el("strong", {}, `${notice.party_id} · ${notice.state}`),
      notice.private?.reference ? ` (${notice.private.reference})` : "",
      el("div", {}, `notice ${notice.id.slice(0, 8)} volume ${index + 1}`),
      el("div", {}, band(volume.altitude, this.display)),
      el("div", {}, `${utc(volume.time.start)} – ${utc(volume.time.end)}`));
  }

  /** Dim everything not live at `t` (a Date), or nothing when `t` is null ("all times"). */
  setTime(t) {
    for (const [layer, start, end] of this.timed) layer.getElement()?.classList.toggle("off-time", !during(start, end, t));
  }

  fit() {
    const group = L.featureGroup([...this.layers.volumes.getLayers().filter((l) => l.getBounds), ...this.layers.conflicts.getLayers()]);
    if (group.getLayers().length) this.map.fitBounds(group.getBounds().pad(0.15), { maxZoom: 13 });
  }

  /** Fit the map to the aircraft being shown; returns how many. */
  fitAircraft() {
    const markers = [...this.trails.values()].map((item) => item.marker);
    if (markers.length) this.map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 12 });
    return markers.length;
  }

  focus(lon, lat) {
    this.map.setView([lat, lon], Math.max(this.map.getZoom(), 11));
  }

  /** Centre on a notice and outline it. */
  focusNotice(id) {
    const layers = this.byNotice.get(id) ?? [];
    for (const list of this.byNotice.values()) for (const layer of list) layer.getElement()?.classList.remove("selected");
    if (!layers.length) return;
    for (const layer of layers) layer.getElement()?.classList.add("selected");
    this.map.fitBounds(L.featureGroup(layers).getBounds().pad(0.3), { maxZoom: 13 });
  }

  /** Aircraft positions (your tracks and the alerts' aircraft), each with a short trail and a label:
   *  callsign, then altitude, speed and heading. */
  moveAircraft(states) {
    for (const state of states) {
      const key = `${state.party}/${state.aircraft}`;
      const at = [state.lat, state.lon];
      let item = this.trails.get(key);
      if (!item) {
        const marker = L.circleMarker(at, { className: "aircraft", radius: 6, fillOpacity: 1 }).addTo(this.layers.aircraft);
        const label = el("span", {}, el("span", { class: "name" }), el("span", { class: "data" }));
        // An element, not a string: Leaflet would parse a string as HTML, and callsigns come from other parties.
        marker.bindTooltip(label, { permanent: true, direction: "right", className: "callsign", offset: [6, 0] });
        item = { marker, label, trail: L.polyline([], { className: "trail", interactive: false }).addTo(this.layers.aircraft), points: [] };
        marker.getElement()?.setAttribute("role", "img");
        this.trails.set(key, item);
      }
      item.state = state;
      const name = state.callsign || state.aircraft;
      const data = [shortAltitude(state.altitude_m, state.datum, this.display), knots(state.ground_speed_ms), heading(state.track_deg)].filter(Boolean).join(" ");
      item.label.querySelector(".name").textContent = name;
      item.label.querySelector(".data").textContent = data;
      item.marker.getElement()?.setAttribute("aria-label", `aircraft ${name} of ${state.party}: ${data}`);
      item.points = [...item.points, at].slice(-TRAIL);
      item.marker.setLatLng(at);
      item.trail.setLatLngs(item.points);
    }
    this.declutter();
  }

  /** Hide the labels of aircraft too close on screen to one already labelled (alerting ones first), then
   *  notice labels that would cover an aircraft's label or another notice's: the aircraft are live, the
   *  notice's name is also in its tooltip and the list. */
  declutter(priority = new Set()) {
    this.declutterAircraft(priority);
    const placed = [...this.map.getContainer().querySelectorAll(".leaflet-tooltip.callsign:not(.decluttered)")].map((t) => t.getBoundingClientRect());
    for (const label of this.map.getContainer().querySelectorAll(".leaflet-tooltip.notice-label")) {
      label.classList.remove("decluttered");
      const r = label.getBoundingClientRect();
      if (placed.some((q) => r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom)) label.classList.add("decluttered");
      else placed.push(r);
    }
  }

  declutterAircraft(priority) {
    this.priority = priority.size ? priority : this.priority ?? new Set();
    const items = [...this.trails.entries()].sort(([a], [b]) => Number(this.priority.has(b)) - Number(this.priority.has(a)));
    const shown = [];
    for (const [, item] of items) {
      const tooltip = item.marker.getTooltip()?.getElement();
      if (!tooltip) continue;
      const p = this.map.latLngToContainerPoint(item.marker.getLatLng());
      const crowded = shown.some((q) => Math.abs(p.x - q.x) < LABEL_BOX[0] && Math.abs(p.y - q.y) < LABEL_BOX[1]);
      tooltip.classList.toggle("decluttered", crowded);
      if (!crowded) shown.push(p);
    }
  }

  aircraftCount() {
    return this.trails.size;
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
