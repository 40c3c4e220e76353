// The timeline (a Gantt chart): one bar per notice over the time slider's range, a cursor at the
// slider's time. Clicking the chart moves the slider there; the arrow keys step it by 15 minutes.

import { el, utc } from "./dom.js";
import { noticeName } from "./map.js";
import { span } from "./notices.js";

const STEP_S = 15 * 60;

export function renderTimeline(box, notices, { me, min, max, t, onTime }) {
  const width = max - min || 1;
  const at = (time) => `${Math.min(100, Math.max(0, ((time / 1000 - min) / width) * 100)).toFixed(3)}%`;
  const length = (a, b) => `${Math.max(0.4, ((b - a) / 1000 / width) * 100).toFixed(3)}%`;
  const rows = notices.map((notice) => {
    const [start, end] = span(notice);
    const whose = notice.party_id === me ? "own" : "other";
    return el("div", { class: "row", "data-notice": notice.id },
      el("span", { class: "name" }, noticeName(notice)),
      el("span", { class: "track" },
        el("span", { class: `bar ${whose} ${notice.state}`, style: `left:${at(start)};width:${length(start, end)}`,
          title: `${noticeName(notice)}: ${utc(start)} – ${utc(end)}` })));
  });
  const cursor = t ? el("div", { class: "lane" }, el("span", { class: "cursor", style: `left:${at(t)}` })) : null;
  const chart = el("div", {
    class: "chart", role: "slider", tabindex: "0", "aria-label": "timeline of notices: click or use the arrow keys to choose a time",
    "aria-valuemin": String(min), "aria-valuemax": String(max), "aria-valuenow": String(t ? Math.floor(t / 1000) : min),
    "aria-valuetext": t ? utc(t) : "all times",
  }, ...rows, el("div", { class: "axis" }, el("span", {}, utc(min * 1000)), el("span", {}, utc(max * 1000))), cursor);
  chart.addEventListener("click", (event) => {
    const track = chart.querySelector(".track") ?? chart;
    const box = track.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    onTime(new Date((min + fraction * width) * 1000));
  });
  chart.addEventListener("keydown", (event) => {
    const step = { ArrowRight: STEP_S, ArrowUp: STEP_S, ArrowLeft: -STEP_S, ArrowDown: -STEP_S }[event.key];
    if (!step) return;
    event.preventDefault();
    const now = t ? t / 1000 : min;
    onTime(new Date(Math.min(max, Math.max(min, now + step)) * 1000));
  });
  const focused = box.contains(document.activeElement);
  box.replaceChildren(notices.length ? chart : el("p", { class: "muted" }, "No notice to chart."));
  if (focused && notices.length) chart.focus(); // re-drawn under the keyboard user: keep their place
}
