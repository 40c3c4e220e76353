// The offline base map: Natural Earth 1:50m land, lakes, rivers and borders, and place names from
// GeoNames, all package data (vendor/basemap, see refresh_basemap.sh): no tile server, no other origin.
// Places are decluttered: larger towns first, fewer at low zoom, none overlapping another.

const L = window.L;
const BASEMAP = "/console/vendor/basemap/basemap-50m.json";
const PLACES = "/console/vendor/basemap/places.json";
const MAX_LABELS = 120;

/** The smallest population labelled at a zoom level. */
const threshold = (zoom) => (zoom < 4 ? 5e6 : zoom < 5 ? 2e6 : zoom < 6 ? 5e5 : zoom < 7 ? 2e5 : zoom < 8 ? 1e5 : zoom < 9 ? 5e4 : 0);

export class BaseMap {
  constructor(map) {
    this.map = map;
    map.createPane("base").style.zIndex = 250; // under Leaflet's overlay pane (400)
    this.group = L.layerGroup().addTo(map);
    this.placesLayer = L.layerGroup().addTo(map);
    this.places = [];
    map.on("moveend zoomend", () => this.label());
  }

  async load() {
    const [basemap, places] = await Promise.all([fetch(BASEMAP).then((r) => r.json()), fetch(PLACES).then((r) => r.json())]);
    const base = { pane: "base", interactive: false };
    L.geoJSON(basemap.land, { ...base, className: "world land" }).addTo(this.group);
    L.geoJSON(basemap.lakes, { ...base, className: "lake" }).addTo(this.group);
    L.geoJSON(basemap.rivers, { ...base, className: "river" }).addTo(this.group);
    L.geoJSON(basemap.borders, { ...base, className: "border" }).addTo(this.group);
    this.places = places;
    this.label();
    this.map.getContainer().dataset.basemap = "ready"; // for the tests and screenshots
  }

  /** Label the largest towns in view, none overlapping another (largest first: the list is sorted). */
  label() {
    if (!this.places.length) return;
    const bounds = this.map.getBounds().pad(0.05);
    const min = threshold(this.map.getZoom());
    const taken = [];
    const labels = [];
    for (const [lon, lat, population, name] of this.places) {
      if (population < min) break;
      if (!bounds.contains([lat, lon])) continue;
      const p = this.map.latLngToContainerPoint([lat, lon]);
      const width = 7 * name.length + 10;
      const box = [p.x - 4, p.y - 8, p.x + width, p.y + 8];
      if (taken.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      taken.push(box);
      labels.push([lat, lon, name]);
      if (labels.length >= MAX_LABELS) break;
    }
    this.placesLayer.clearLayers();
    for (const [lat, lon, name] of labels) {
      const text = document.createElement("span");
      text.textContent = name;
      L.marker([lat, lon], {
        pane: "base", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "place", html: text, iconSize: null, iconAnchor: [3, 3] }),
      }).addTo(this.placesLayer);
    }
  }
}
