// Small DOM and formatting helpers. Text always goes in as text (never as HTML): messages, names
// and references come from other parties.

export const $ = (id) => document.getElementById(id);

/** el("li", {class: "x", onclick: f}, "text", child, …) */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** 2026-06-01 09:30Z (times are UTC everywhere in the system; the console says so). */
export function utc(value, seconds = false) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const text = date.toISOString().replace("T", " ");
  return (seconds ? text.slice(0, 19) : text.slice(0, 16)) + "Z";
}

/** The browser's local time beside a UTC one: "09:30 local" (the officer's wall clock). */
export function local(value, seconds = false) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const options = { hour: "2-digit", minute: "2-digit", hour12: false, ...(seconds ? { second: "2-digit" } : {}) };
  return `${date.toLocaleTimeString("en-GB", options)} local`;
}

/** "2026-06-01 09:30Z (11:30 local)" */
export const when = (value, seconds = false) => `${utc(value, seconds)} (${local(value, seconds)})`;

/** A signed duration as m:ss or h:mm:ss: "0:42", "1:02:05". */
export function clock(ms) {
  const total = Math.max(0, Math.round(Math.abs(ms) / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** "due in 0:42" / "overdue by 1:05" from a deadline and now. */
export const countdown = (due, now) => {
  const left = new Date(due) - now;
  return left >= 0 ? `due in ${clock(left)}` : `overdue by ${clock(left)}`;
};

/** "12 s ago", "3 min ago", "2 h ago". */
export function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
