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

/** Metres with the aviation unit beside them, as the CLI prints them. */
export const metres = (m) => `${Math.round(m)} m (${(m / 1852).toFixed(2)} NM)`;
export const height = (m) => `${Math.round(m)} m (${Math.round(m / 0.3048)} ft)`;
