// The notice list: every live notice of the agreement, filtered (whose, state) and searched (id,
// party, your own reference), a details panel for the chosen one, and the filtered list exported as
// GeoJSON or CSV (made in the browser from what the API returned: nothing more than the party may see).

import { el, utc, when } from "./dom.js";
import { noticeName } from "./map.js";
import { band, distance } from "./units.js";

/** The notices that pass the filters. `whose`: "all" | "mine" | "others" | a party id. */
export function filtered(notices, { whose = "all", state = "all", text = "" }, me) {
  const needle = text.trim().toLowerCase();
  return notices.filter((n) => {
    if (whose === "mine" && n.party_id !== me) return false;
    if (whose === "others" && n.party_id === me) return false;
    if (!["all", "mine", "others"].includes(whose) && n.party_id !== whose) return false;
    if (state !== "all" && n.state !== state) return false;
    if (!needle) return true;
    return [n.id, n.party_id, n.state, n.private?.reference ?? "", n.private?.remarks ?? ""].some((f) => f.toLowerCase().includes(needle));
  });
}

const span = (notice) => {
  const starts = notice.volumes.map((v) => new Date(v.time.start));
  const ends = notice.volumes.map((v) => new Date(v.time.end));
  return [new Date(Math.min(...starts)), new Date(Math.max(...ends))];
};

export function renderNotices(list, notices, { me, display, selected, onSelect }) {
  if (!notices.length) return list.replaceChildren(el("li", { class: "empty muted" }, "No notice matches."));
  list.replaceChildren(...notices.map((notice) => {
    const [start, end] = span(notice);
    const whose = notice.party_id === me ? "own" : "other";
    return el("li", { class: `notice ${whose}${notice.id === selected ? " selected" : ""}`, "data-notice": notice.id },
      el("button", { type: "button", class: "row", "aria-pressed": String(notice.id === selected), onclick: () => onSelect(notice) },
        el("span", { class: `swatch ${whose}`, "aria-hidden": "true" }),
        el("strong", {}, noticeName(notice)), ` · ${notice.state}`,
        el("span", { class: "meta" }, ` ${band(notice.volumes[0].altitude, display)} · ${utc(start)} – ${utc(end)}`)));
  }));
}

export function renderDetails(panel, notice, { me, display }) {
  if (!notice) {
    panel.replaceChildren(el("p", { class: "muted" }, "Choose a notice in the list or on the map for its details."));
    return;
  }
  const rows = [
    ["Notice", notice.id], ["Party", notice.party_id === me ? `${notice.party_id} (yours)` : notice.party_id], ["State", notice.state],
    ["Version", notice.version ?? "hidden by the agreement"], ["Filed", notice.filed_at ? when(notice.filed_at) : "—"],
    ["Lead time", notice.lead_time_s != null ? `${Math.round(notice.lead_time_s / 60)} min` : "—"],
  ];
  if (notice.private?.reference) rows.push(["Your reference", notice.private.reference]);
  if (notice.private?.remarks) rows.push(["Your remarks", notice.private.remarks]);
  panel.replaceChildren(
    el("dl", {}, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("ol", { class: "volumes" }, ...notice.volumes.map((v) => el("li", {},
      el("div", {}, footprint(v.footprint)),
      el("div", {}, band(v.altitude, display)),
      el("div", { class: "meta" }, `${when(v.time.start)} – ${when(v.time.end)}`)))));
}

function footprint(f) {
  if (f.kind === "circle") return `circle of ${distance(f.radius_m)} radius around ${f.lat.toFixed(4)}, ${f.lon.toFixed(4)}`;
  return `polygon of ${f.vertices.length} vertices`;
}

// ---- export ------------------------------------------------------------------------------------

const ring = (f) => {
  if (f.kind !== "circle") return [...f.vertices, f.vertices[0]].map(([lon, lat]) => [lon, lat]);
  // A circle as a 64-gon on the sphere (GeoJSON has no circles); the radius is in the properties too.
  const R = 6371008.8, d = f.radius_m / R, lat1 = (f.lat * Math.PI) / 180, lon1 = (f.lon * Math.PI) / 180;
  const points = [];
  for (let i = 0; i <= 64; i++) {
    const b = (2 * Math.PI * (i % 64)) / 64;
    const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
    const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
    points.push([Number(((lon2 * 180) / Math.PI).toFixed(6)), Number(((lat2 * 180) / Math.PI).toFixed(6))]);
  }
  return points;
};

export function asGeoJSON(notices) {
  return {
    type: "FeatureCollection",
    features: notices.flatMap((n) => n.volumes.map((v, index) => ({
      type: "Feature",
      geometry: { type: "Polygon", coordinates: [ring(v.footprint)] },
      properties: {
        notice_id: n.id, party_id: n.party_id, state: n.state, volume: index + 1,
        lower_m: v.altitude.lower_m, upper_m: v.altitude.upper_m, datum: v.altitude.datum,
        start: v.time.start, end: v.time.end, ...(v.footprint.kind === "circle" ? { radius_m: v.footprint.radius_m } : {}),
        ...(n.private?.reference ? { reference: n.private.reference } : {}),
      },
    }))),
  };
}

const CSV_COLUMNS = ["notice_id", "party_id", "state", "volume", "shape", "lower_m", "upper_m", "lower_ft", "upper_ft", "datum", "start", "end"];
const csvField = (value) => (/[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));

export function asCSV(notices) {
  const lines = [CSV_COLUMNS.join(",")];
  for (const n of notices) {
    n.volumes.forEach((v, index) => {
      const a = v.altitude;
      lines.push([n.id, n.party_id, n.state, index + 1, v.footprint.kind, a.lower_m, a.upper_m, Math.round(a.lower_m / 0.3048),
        Math.round(a.upper_m / 0.3048), a.datum, v.time.start, v.time.end].map(csvField).join(","));
    });
  }
  return lines.join("\r\n") + "\r\n";
}

/** Offer `text` as a file download (a blob URL on this origin). */
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export { span };
