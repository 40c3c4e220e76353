// The agreement's zones on the map (GET /v1/agreements/{id}/zones): imported airspace (ED-318/ED-269,
// AIXM, OpenAir) and F3548 constraints are one kind of thing, drawn alike. Each is styled by its
// restriction (console.css: path.zone.prohibited …), named on the map, dimmed outside its schedule
// by the time slider, and opens its details (limits as published, when, contact, message, who manages
// it) on click or with the keyboard (Tab, then Enter). Zones lie under the notices (their own pane).

import { actionable, shape } from "./map.js";
import { el, utc } from "./dom.js";
import { band } from "./units.js";

const L = window.L;
const PANE = "zones";

export const RESTRICTION_NAMES = {
  prohibited: "prohibited",
  authorisation_required: "authorisation required",
  conditional: "conditional",
  information: "information",
};

/** What to draw for a zone: [footprint, band or null, windows ([] = always)] per piece. A constraint's
 *  volumes carry their own band and time; published limits apply to the footprint over its schedule. */
export function pieces(zone) {
  if (zone.extents?.length) return zone.extents.map((v) => [v.footprint, v.altitude, [v.time]]);
  return [[zone.footprint, null, zone.schedule ?? []]];
}

const activeAt = (windows, t) => t === null || !windows.length || windows.some((w) => new Date(w.start) <= t && t < new Date(w.end));

export class ZoneLayer {
  constructor(map, { display = () => "feet" } = {}) {
    this.map = map;
    this.display = display;
    if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = 350; // under the overlay pane (400): notices on top
    this.group = L.layerGroup().addTo(map);
    this.timed = []; // [layer, windows]
  }

  /** Draw the zones (replacing those drawn before). */
  show(zones) {
    this.group.clearLayers();
    this.timed = [];
    for (const zone of zones) {
      const restriction = RESTRICTION_NAMES[zone.restriction] ? zone.restriction : "information";
      pieces(zone).forEach(([footprint, altitude, windows], index) => {
        const layer = shape(footprint, { pane: PANE, className: `zone ${restriction}`, weight: 2, fillOpacity: 0.12 }).addTo(this.group);
        layer.getElement()?.setAttribute("data-zone", zone.id);
        layer.bindTooltip(el("span", {}, `${RESTRICTION_NAMES[restriction]}: ${zone.name}`), { sticky: true });
        const open = () => this.details(zone, layer.getBounds().getCenter());
        layer.on("click", (event) => {
          L.DomEvent.stopPropagation(event);
          open();
        });
        actionable(layer, `${RESTRICTION_NAMES[restriction]} zone ${zone.name}, ${this.limits(zone, altitude)}`, open);
        if (index === 0) {
          L.tooltip({ permanent: true, direction: "center", className: `zone-label ${restriction}`, interactive: false, pane: "tooltipPane" })
            .setLatLng(layer.getBounds().getCenter()).setContent(el("span", {}, zone.name)).addTo(this.group);
        }
        this.timed.push([layer, windows]);
      });
    }
  }

  limits(zone, altitude) {
    if (altitude) return band(altitude, this.display());
    return `${zone.lower?.text || zone.lower?.reference} – ${zone.upper?.text || zone.upper?.reference}`;
  }

  /** The zone's details in a popup: restriction, limits as published, when, contact, message, source. */
  details(zone, at) {
    const restriction = RESTRICTION_NAMES[zone.restriction] ?? zone.restriction;
    const windows = zone.extents?.length ? zone.extents.map((v) => v.time) : zone.schedule ?? [];
    const when = windows.length ? windows.slice(0, 3).map((w) => `${utc(w.start)} – ${utc(w.end)}`).join("; ") + (windows.length > 3 ? ` (+${windows.length - 3} more)` : "") : "always";
    const rows = [
      ["Restriction", restriction],
      ["Limits", zone.extents?.length ? zone.extents.map((v) => band(v.altitude, this.display())).join("; ") : this.limits(zone, null)],
      ["Active", when],
      ["Contact", zone.contact || "—"],
      ["Message", zone.message || "—"],
      ["Managed by", zone.manager || "the operator"],
      ["Source", zone.source || "—"],
    ];
    const content = el("div", { class: "zone-details", "data-zone": zone.id },
      el("strong", {}, zone.name),
      el("dl", {}, rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)])));
    L.popup({ maxWidth: 320 }).setLatLng(at).setContent(content).openOn(this.map);
    content.closest(".leaflet-popup")?.querySelector(".leaflet-popup-close-button")?.focus();
  }

  /** Dim the zones not active at `t` (a Date), or none when `t` is null ("all times"). */
  setTime(t) {
    for (const [layer, windows] of this.timed) layer.getElement()?.classList.toggle("off-time", !activeAt(windows, t));
  }
}
