// The console: sign in with a party token, then one agreement at a time — its notices and conflicts
// on the map over a time slider, the notice list and timeline, the hotline inbox, live alerts, and
// everything kept current from the party's event stream. Urgent items command attention (the alert
// bar, a tone, a desktop notification, the title, a live region); a lost connection is said, not hidden.

import { api, all, ApiError, network, streamEvents, token } from "./api.js";
import { announce, enableNotifications, muted, seen, setMuted, setUnread, urgent } from "./attention.js";
import { Connection } from "./connection.js";
import { $, countdown, el, local, utc, when } from "./dom.js";
import { renderInbox, renderSent } from "./inbox.js";
import { ConsoleSigner } from "./signing.js";
import { ConsoleMap } from "./map.js";
import { asCSV, asGeoJSON, download, filtered, renderDetails, renderNotices } from "./notices.js";
import * as theme from "./theme.js";
import { renderTimeline } from "./timeline.js";
import { ZoneLayer } from "./zones.js";
import { altitude, band, distance, gap, heading, speed } from "./units.js";

const HOUR = 3600e3;
const AGREEMENT = "deconfliction.agreement";
const SIGNED_OUT = "deconfliction.signed-out"; // why the last session ended, shown on the sign-in page
const TRACKS_EVERY_MS = 2000;
const HEALTH_EVERY_MS = 3000;

const state = {
  me: null, // {party_id, scopes}
  agreement: null, // the selected agreement (GET /v1/agreements/{id})
  notices: [],
  conflicts: [],
  inbox: [],
  alerts: new Map(), // alert id -> {agreement_id, alert, channel}
  clockOffset: 0, // server clock - browser clock, ms
  stream: null, // AbortController of the event stream
  reloads: new Set(),
  timer: null,
  tracking: null, // the interval that polls your aircraft while the tactical monitor runs
  fitted: null, // the agreement the map was last fitted to
  focused: null, // the conflict last clicked: messages sent now refer to it
  selected: null, // the notice whose details are shown
  quiet: true, // the first load of an agreement: what is already there is not announced as new
};
const connection = new Connection();
connection.toServer = (date) => new Date(date.getTime() + state.clockOffset);
let map = null;
let zones = null; // the agreement's zones on the map (zones.js)
let signer = null; // signs what the console says, with a key this browser holds (signing.js)

const serverNow = () => new Date(Date.now() + state.clockOffset);
const display = () => state.agreement?.altitude_display ?? "feet";

// ---- sign in / out -----------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  $("signin-error").textContent = "";
  try {
    const me = await api("/v1/me", { auth: value });
    if (!me.party_id) throw new Error("this is an operator token; the console acts for a party: use a party's token");
    token.set(value);
    $("token").value = "";
    await start(me);
  } catch (error) {
    $("signin-error").textContent = error instanceof ApiError && error.status === 401 ? "Unknown or revoked token." : error.message;
  }
}

/** End the session; `reason` (when the server, not the person, ended it) is shown on the sign-in page. */
function signOut(reason) {
  state.stream?.abort();
  token.clear();
  sessionStorage.removeItem(AGREEMENT);
  if (reason) sessionStorage.setItem(SIGNED_OUT, reason);
  location.reload();
}

const REVOKED = "Signed out: the server no longer accepts your token. It was revoked, or the server now runs on another " +
  "store (a restarted demo issues new tokens). Sign in with a current token.";

// ---- loading -----------------------------------------------------------------------------------

/** `early`: the health and agreement requests, when they were sent together with /v1/me (they need only
 *  the token): on a slow line every round trip saved is most of a second (bench/console_load.py). */
async function start(me, early = null) {
  state.me = me;
  $("signin").hidden = true;
  $("console").hidden = false;
  $("who").textContent = `${me.party_id} (${me.scopes.join(" ")})`;
  if (!map) {
    map = new ConsoleMap($("map"), { onPlace: showPlace, onConflict: focusConflict, onNotice: selectNotice });
    zones = new ZoneLayer(map.map, { display });
  }
  // With the token: last_event_seq, where the live feed starts.
  const [health, agreements] = await (early ?? Promise.all([api("/v1/health"), all("/v1/agreements")]));
  syncClock(health.now);
  signer = new ConsoleSigner($("signing"), { party: me.party_id, now: serverNow });
  await signer.start();
  const select = $("agreement");
  select.replaceChildren(...agreements.map((a) => el("option", { value: a.id }, `${a.name} (${a.id})`)));
  if (!agreements.length) {
    $("place-info").textContent = "Your party is not a member of any agreement yet.";
    loadBaseOnce();
    return;
  }
  // The agreement named in the address (#agreement=ID, as `demo` prints it), else the last one chosen, else the first.
  const wanted = [new URLSearchParams(location.hash.slice(1)).get("agreement"), sessionStorage.getItem(AGREEMENT)];
  const chosen = wanted.find((id) => agreements.some((a) => a.id === id)) ?? agreements[0].id;
  select.value = chosen;
  await selectAgreement(chosen);
  follow(health.last_event_seq);
  loadBaseOnce();
  setInterval(everySecond, 1000);
  setInterval(() => api("/v1/health", { auth: null }).then((h) => syncClock(h.now), () => {}), HEALTH_EVERY_MS);
}

/** The base map (about 0.8 MB gzipped) is asked for once the notices and conflicts are shown: on a slow
 *  link it would otherwise share the line with them, and parsing it would hold up the first drawing
 *  (bench/console_load.py measures both). */
let baseRequested = false;
function loadBaseOnce() {
  if (baseRequested) return;
  baseRequested = true;
  map.loadBase().catch((error) => console.warn("base map:", error));
}

/** The server's clock (its test clock, in tests) is the console's "now". `forwardOnly`: events resumed
 *  after a reconnect carry older times and must not move it back. */
function syncClock(now, forwardOnly = false) {
  const offset = new Date(now) - Date.now();
  if (!now || Number.isNaN(offset) || (forwardOnly && offset < state.clockOffset)) return;
  state.clockOffset = offset;
  showClock();
}

/** UTC and local time; frozen at the last contact while the server does not answer. */
function showClock() {
  const frozen = connection.stale && connection.lastContact;
  const t = frozen ? new Date(connection.lastContact.getTime() + state.clockOffset) : serverNow();
  $("server-time").textContent = utc(t, true);
  $("local-time").textContent = local(t, true);
  $("clock").classList.toggle("frozen", Boolean(frozen));
  $("clock").title = frozen ? "stopped at the last contact with the server" : "the server's clock (UTC) and your local time";
}

function everySecond() {
  showClock();
  connection.render();
  const now = serverNow();
  for (const node of document.querySelectorAll("[data-due]")) {
    const text = countdown(node.dataset.due, now);
    node.textContent = text;
    node.classList.toggle("late", text.startsWith("overdue"));
  }
}

let selections = 0; // a quick switch A→B→A must not end on B's answer, which may arrive last

async function selectAgreement(id) {
  const selection = ++selections;
  const agreement = await api(`/v1/agreements/${encodeURIComponent(id)}`);
  if (selection !== selections) return;
  state.agreement = agreement;
  signer?.setAgreement(state.agreement);
  sessionStorage.setItem(AGREEMENT, id);
  history.replaceState(null, "", `#agreement=${encodeURIComponent(id)}`);
  state.alerts.clear();
  state.selected = null;
  state.quiet = true;
  map.clearAircraft();
  const others = state.agreement.parties.filter((p) => p !== state.me.party_id);
  $("compose-to").replaceChildren(el("option", { value: "" }, "all co-parties"), ...others.map((p) => el("option", { value: p }, p)));
  $("notice-whose").replaceChildren(...[["all", "all parties"], ["mine", "mine"], ["others", "others'"], ...others.map((p) => [p, p])]
    .map(([value, label]) => el("option", { value }, label)));
  await Promise.all([loadPlan(), loadInbox(), loadAlerts()]);
  state.quiet = false;
}

async function loadPlan() {
  const agreement_id = state.agreement.id;
  let plan, zoneList;
  [state.notices, state.conflicts, plan, zoneList] = await Promise.all([
    all("/v1/notices", { agreement_id, live: "true" }),
    all("/v1/conflicts", { agreement_id }),
    api(`/v1/agreements/${encodeURIComponent(agreement_id)}/channels`).then((page) => page.items, () => []),
    api(`/v1/agreements/${encodeURIComponent(agreement_id)}/zones`).then((page) => page.items, () => []),
  ]);
  zones.show(zoneList);
  map.show({ notices: state.notices, conflicts: state.conflicts, me: state.me.party_id, channels: plan, display: display() });
  if (state.fitted !== agreement_id) {
    map.fit();
    state.fitted = agreement_id;
  }
  $("map-area").removeAttribute("aria-busy");
  setupSlider();
  renderConflicts();
  renderNoticeList();
  attend();
}

async function loadInbox() {
  try {
    const page = await api(`/v1/hotline/inbox?${new URLSearchParams({ agreement_id: state.agreement.id, limit: "200" })}`);
    state.inbox = page.items;
    $("hotline-state").textContent = "";
    $("compose").hidden = false;
  } catch (error) {
    state.inbox = [];
    const missing = error.status === 404 && error.message.startsWith("no such resource"); // a server without the hotline
    $("hotline-state").textContent = missing ? "The hotline is not available on this server." : `Hotline: ${error.message}`;
    $("compose").hidden = missing;
  }
  await Promise.all([loadLines(), loadSent()]);
  renderInbox($("inbox"), state.inbox, { onAck: acknowledgeMessage, onConflict: (id) => focusConflict(state.conflicts.find((c) => c.id === id)), now: serverNow() });
  $("hotline").removeAttribute("aria-busy");
  const owed = state.inbox.filter((i) => ["pending", "overdue"].includes(i.deadline?.state));
  const overdue = owed.filter((i) => i.deadline.state === "overdue").length;
  $("inbox-count").textContent = owed.length ? `${owed.length} to acknowledge${overdue ? `, ${overdue} overdue` : ""}` : "";
  attend();
}

/** What this party sent (GET /v1/hotline/sent), with who acknowledged; refreshed by hotline events. */
async function loadSent() {
  let sent = [];
  try {
    sent = (await api(`/v1/hotline/sent?${new URLSearchParams({ agreement_id: state.agreement.id, limit: "50" })}`)).items;
  } catch (error) {
    console.warn("hotline sent:", error);
  }
  renderSent($("sent"), sent);
  const waiting = sent.filter((m) => m.acknowledgments.some((a) => a.state !== "acknowledged" && a.state !== "withdrawn")).length;
  $("sent-count").textContent = waiting ? `${waiting} awaiting acknowledgment` : "";
}

/** Whose hotline answers (GET /v1/hotline/lines): up / down from each party's last settled line test. */
async function loadLines() {
  let lines = [];
  try {
    lines = (await api(`/v1/hotline/lines?${new URLSearchParams({ agreement_id: state.agreement.id })}`)).items;
  } catch (error) {
    console.warn("hotline lines:", error);
  }
  const unknown = lines.some((line) => line.state === "unknown");
  $("lines").replaceChildren(...(lines.length ? ["Lines: "] : []), ...lines.map((line) => el("span",
    { class: `line ${line.state}`, "data-party": line.party_id, title: line.last_test_at ? `last test ${utc(line.last_test_at, true)}` : "never tested" },
    `${line.party_id} ${line.state}`)),
  unknown ? el("span", { class: "explain" }, state.agreement.line_test_interval_s
    ? "unknown: no line test settled yet (the system tests each line every " + Math.round(state.agreement.line_test_interval_s / 60) + " min)"
    : "unknown: this agreement runs no line tests (line_test_interval is 0)") : null);
}

async function loadAlerts() {
  try {
    const items = await all("/v1/alerts");
    for (const item of items) if (item.agreement_id === state.agreement.id) state.alerts.set(item.alert.id, item);
    $("alerts-state").textContent = "";
    state.tracking ??= setInterval(() => loadAircraft().catch(console.warn), TRACKS_EVERY_MS);
    loadAircraft().catch(console.warn);
  } catch (error) {
    // 503: no tactical monitor in this server process; the section stays out of the way.
    $("alerts-state").textContent = error.status === 503 ? "The tactical monitor does not run on this server." : `Alerts: ${error.message}`;
  }
  $("alerts").removeAttribute("aria-busy");
  renderAlerts();
}

// ---- live updates ------------------------------------------------------------------------------

function follow(after) {
  state.stream?.abort();
  state.stream = new AbortController();
  let connected = false;
  streamEvents({
    after,
    signal: state.stream.signal,
    onEvent,
    onStatus: (status) => {
      if (status === "signed-out") return signOut(REVOKED);
      connection.streamStatus(status);
      showClock();
      if (status === "live" && connected) reloadSoon("plan", "inbox"); // a reconnect: catch up on anything missed
      connected ||= status === "live";
    },
  });
}

function onEvent(event) {
  syncClock(event.created_at, true);
  const kind = event.kind;
  const payload = event.payload ?? {};
  const agreement = payload.agreement_id ?? payload.message?.agreement_id ?? payload.conflict?.agreement_id ?? payload.notice?.agreement_id;
  if (agreement && agreement !== state.agreement?.id) return;
  if (kind.startsWith("alert.")) return onAlert(event.payload);
  if (kind.startsWith("notice.") || kind.startsWith("conflict.")) reloadSoon("plan");
  if (kind.startsWith("hotline.") || kind.startsWith("ack.")) reloadSoon("inbox");
  if (kind.startsWith("ack.")) reloadSoon("plan");
}

/** Events come in bursts (one filing: several events); one reload per burst. */
function reloadSoon(...what) {
  for (const w of what) state.reloads.add(w);
  clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    const pending = [...state.reloads];
    state.reloads.clear();
    if (pending.includes("plan")) loadPlan().catch(console.warn);
    if (pending.includes("inbox")) loadInbox().catch(console.warn);
  }, 150);
}

/** Your aircraft where they last reported (GET /v1/tracks), polled: positions are not feed events. */
async function loadAircraft() {
  let aircraft;
  try {
    aircraft = await all("/v1/tracks");
  } catch (error) {
    if (error.status !== 503) throw error;
    aircraft = []; // the monitor stopped (or never ran here): alerts' aircraft only
  }
  map.moveAircraft(aircraft);
  const inAlerts = [...state.alerts.values()].flatMap((i) => i.alert.aircraft ?? []);
  map.keepAircraft(new Set([...aircraft, ...inAlerts].map((a) => `${a.party}/${a.aircraft}`)));
  const count = map.aircraftCount();
  $("fit-aircraft").textContent = `Fit aircraft (${count})`;
  $("fit-aircraft").disabled = count === 0;
}

function onAlert(item) {
  if (!item?.alert) return;
  if (item.alert.status === "closed") state.alerts.delete(item.alert.id);
  else state.alerts.set(item.alert.id, item);
  renderAlerts(); // moves the aircraft of the open alerts; the next poll forgets the rest
  attend();
}

// ---- attention ---------------------------------------------------------------------------------

/** What needs the person now, most urgent first: overdue messages, messages owed, open tactical
 *  alerts, conflicts not acknowledged by them. */
function urgentItems() {
  const me = state.me.party_id;
  const owed = state.inbox.filter((i) => ["pending", "overdue"].includes(i.deadline?.state))
    .sort((a, b) => (a.deadline.state === "overdue" ? 0 : 1) - (b.deadline.state === "overdue" ? 0 : 1) || new Date(a.deadline.due_at) - new Date(b.deadline.due_at));
  const items = owed.map(({ message, deadline }) => ({
    key: `message:${message.id}:${deadline.state}`, kind: deadline.state === "overdue" ? "overdue" : message.kind,
    title: `${message.kind.toUpperCase()} from ${message.sender}${deadline.state === "overdue" ? " — OVERDUE" : ""}`,
    text: message.text, due: deadline.due_at, act: ["Acknowledge", (button) => acknowledgeMessage(message.id, button)], id: message.id,
  }));
  for (const { alert } of state.alerts.values()) {
    items.push({
      key: `alert:${alert.id}`, kind: "tactical", title: `Traffic: ${alert.kind.replace(".", " ")}`,
      text: alert.aircraft.map((a) => `${a.callsign || a.aircraft} (${a.party})`).join(" – ") +
        (alert.d_cpa_m != null ? `, closest ${distance(alert.d_cpa_m)} in ${Math.max(0, Math.round(alert.t_cpa_s))} s` : ""),
      act: ["Show", () => { const [a] = alert.aircraft; if (a) map.focus(a.lon, a.lat); }], id: alert.id,
    });
  }
  for (const c of state.conflicts) {
    const mine = c.party_a === me ? c.acknowledged_a : c.acknowledged_b;
    if (mine) continue;
    items.push({
      key: `conflict:${c.id}`, kind: "conflict", title: `Conflict with ${c.party_a === me ? c.party_b : c.party_a}`,
      text: `lateral ${distance(c.lateral_m)}, ${c.vertical_m > 0 ? `vertical ${gap(c.vertical_m)}` : "vertically overlapping"}, from ${utc(c.time_start)}`,
      act: ["Acknowledge", (button) => acknowledgeConflict(c.id, button)], id: c.id,
    });
  }
  return items;
}

function attend() {
  if (!state.me || !state.agreement) return;
  const items = urgentItems();
  setUnread(items.length);
  for (const item of items) {
    // What is there when an agreement is first shown is not news; what arrives (or turns overdue) after is.
    if (state.quiet) seen(item.key);
    else urgent(item.key, item.title, item.text);
  }
  renderAlertBar(items);
}

function renderAlertBar(items) {
  const bar = $("alert-bar");
  const signature = JSON.stringify(items.map((i) => [i.key, i.title, i.text, i.due]));
  if (signature === bar.dataset.signature) return; // unchanged: keep the buttons under the person's finger
  bar.dataset.signature = signature;
  const pressing = items.filter((i) => i.kind !== "conflict" || items.length <= 3);
  bar.hidden = items.length === 0;
  $("alert-items").replaceChildren(...pressing.slice(0, 3).map((item) => el("li", { class: `urgent ${item.kind}`, "data-key": item.key },
    el("strong", {}, item.title), " ", el("span", { class: "text" }, item.text),
    item.due ? el("span", { class: "countdown", "data-due": item.due }, countdown(item.due, serverNow())) : null,
    el("button", { type: "button", class: "act", onclick: (e) => item.act[1](e.target) }, item.act[0]))));
  $("alert-more").textContent = items.length > 3 ? `+${items.length - 3} more below` : "";
}

// ---- actions -----------------------------------------------------------------------------------

async function acknowledgeMessage(id, button) {
  button.disabled = true;
  try {
    await api(`/v1/hotline/messages/${encodeURIComponent(id)}/ack`, { method: "POST" });
    await loadInbox();
    announce("Acknowledged.");
  } catch (error) {
    button.disabled = false;
    $("hotline-state").textContent = `Not acknowledged: ${error.message}`;
  }
}

async function acknowledgeConflict(id, button) {
  button.disabled = true;
  try {
    await api(`/v1/conflicts/${encodeURIComponent(id)}/ack`, { method: "POST" });
    await loadPlan();
    announce("Conflict acknowledged.");
  } catch (error) {
    button.disabled = false;
    button.title = error.message;
    announce(`Not acknowledged: ${error.message}`);
  }
}

async function sendMessage(event) {
  event.preventDefault();
  const to = $("compose-to").value;
  const body = { agreement_id: state.agreement.id, kind: $("compose-kind").value, text: $("compose-text").value };
  if (to) body.to = [to];
  if (state.focused) body.refs = { conflicts: [state.focused] };
  try {
    const message = await api("/v1/hotline/messages", { method: "POST", body });
    $("compose-text").value = "";
    $("compose-state").textContent = `Sent ${message.kind} to ${message.to.join(", ") || "all"} at ${when(message.created_at, true)}.`;
    loadSent().catch(console.warn); // the sender hears of its own message only through acknowledgments
  } catch (error) {
    $("compose-state").textContent = `Not sent: ${error.message}${error.problem?.field ? ` (${error.problem.field})` : ""}`;
  }
}

// ---- panels ------------------------------------------------------------------------------------

/** A notice's altitude band, for a conflict's "overlapping" line. */
function bandOf(noticeId) {
  const notice = state.notices.find((n) => n.id === noticeId);
  if (!notice) return "band not shown";
  return [...new Set(notice.volumes.map((v) => band(v.altitude, display())))].join(", ");
}

function ackLine(party, at) {
  return el("span", { class: `ack-state ${at ? "done" : "owed"}`, "data-party": party },
    at ? `${party} ✓ acknowledged ${utc(at)} (${local(at)})` : `${party} ✗ not yet acknowledged`);
}

function renderConflicts() {
  const me = state.me.party_id;
  const t = sliderTime();
  $("conflict-count").textContent = state.conflicts.length ? `${state.conflicts.length} open` : "none";
  if (!state.conflicts.length) return $("conflict-list").replaceChildren(el("li", { class: "empty muted" }, "No open conflict."));
  $("conflict-list").replaceChildren(...state.conflicts.map((c) => {
    const mine = c.party_a === me ? c.acknowledged_a : c.acknowledged_b;
    const other = c.party_a === me ? c.party_b : c.party_a;
    const live = !t || (new Date(c.time_start) <= t && t < new Date(c.time_end));
    const vertical = c.vertical_m > 0
      ? el("div", {}, `vertical gap ${gap(c.vertical_m)}`)
      : el("div", { class: "overlapping" }, el("strong", {}, "vertically overlapping"), `: ${c.party_a} ${bandOf(c.notice_a)}; ${c.party_b} ${bandOf(c.notice_b)}`);
    return el("li", { class: `conflict ${live ? "" : "inactive"}`, "data-conflict": c.id, onclick: () => focusConflict(c) },
      mine ? null : el("button", { type: "button", class: "ack", onclick: (e) => { e.stopPropagation(); acknowledgeConflict(c.id, e.target); } }, "Acknowledge"),
      el("button", { type: "button", class: "show", "aria-label": `show the conflict with ${other} on the map`, onclick: (e) => { e.stopPropagation(); focusConflict(c); } }, "Show"),
      el("strong", {}, `with ${other}`),
      el("div", {}, `lateral ${distance(c.lateral_m)}`),
      vertical,
      el("div", { class: "meta" }, `${when(c.time_start)} – ${utc(c.time_end)}`),
      el("div", { class: "meta" }, c.channel ? `channel ${c.channel.name}: ${c.channel.contact}` : "no channel named"),
      el("div", { class: "acks" }, ackLine(c.party_a, c.acknowledged_a), " · ", ackLine(c.party_b, c.acknowledged_b)));
  }));
}

function renderAlerts() {
  const items = [...state.alerts.values()];
  $("alert-count").textContent = items.length ? `${items.length} open` : "";
  const describe = (a) => `${a.callsign || a.aircraft} (${a.party}): ${altitude(a.altitude_m, a.datum, display())}, ${speed(a.ground_speed_ms)}, heading ${heading(a.track_deg) || "?"}`;
  $("alert-list").replaceChildren(...items.map(({ alert, channel }) => el("li", { "data-alert": alert.id },
    el("strong", {}, alert.kind.replace(".", " ")), ` · ${alert.status}`,
    el("div", {}, alert.aircraft.map((a) => `${a.callsign || a.aircraft} (${a.party})`).join(" – ")),
    ...alert.aircraft.map((a) => el("div", { class: "meta" }, describe(a))),
    alert.d_cpa_m != null ? el("div", { class: "meta" }, `closest ${distance(alert.d_cpa_m)} in ${Math.round(alert.t_cpa_s)} s`) : null,
    alert.reason ? el("div", { class: "meta" }, alert.reason) : null,
    el("div", { class: "meta" }, channel ? `channel ${channel.name}: ${channel.contact}` : alert.channel ? `channel ${alert.channel}` : "no channel named"))));
  if (!items.length && !$("alerts-state").textContent) $("alert-list").replaceChildren(el("li", { class: "empty muted" }, "No open alert involving your aircraft."));
  const aircraft = items.flatMap((i) => i.alert.aircraft ?? []);
  map.moveAircraft(aircraft);
  map.declutter(new Set(aircraft.map((a) => `${a.party}/${a.aircraft}`)));
}

function focusConflict(conflict) {
  if (!conflict) return;
  state.focused = conflict.id;
  map.focus(conflict.where[0], conflict.where[1]);
  setSliderTime(new Date(conflict.time_start));
  $("compose-state").textContent = `Messages you send now refer to conflict ${conflict.id.slice(0, 8)}.`;
}

// ---- notices: list, details, timeline, export --------------------------------------------------

function noticeFilter() {
  return { whose: $("notice-whose").value || "all", state: $("notice-state").value || "all", text: $("notice-search").value };
}

function shownNotices() {
  return filtered(state.notices, noticeFilter(), state.me.party_id);
}

function renderNoticeList() {
  const shown = shownNotices();
  $("notice-count").textContent = `${shown.length} of ${state.notices.length}`;
  renderNotices($("notice-list"), shown, { me: state.me.party_id, display: display(), selected: state.selected, onSelect: selectNotice });
  renderDetails($("notice-details"), state.notices.find((n) => n.id === state.selected), { me: state.me.party_id, display: display() });
  renderChart();
}

function renderChart() {
  const slider = $("time");
  renderTimeline($("timeline"), shownNotices(), {
    me: state.me.party_id, min: Number(slider.min), max: Number(slider.max), t: sliderTime(), onTime: setSliderTime,
  });
}

function selectNotice(notice) {
  state.selected = notice.id;
  map.focusNotice(notice.id);
  renderNoticeList();
  $("notices").open = true;
}

function exportNotices(format) {
  const shown = shownNotices();
  const stamp = utc(serverNow()).replace(/[: ]/g, "").replace("Z", "Z");
  const base = `notices-${state.agreement.id}-${stamp}`;
  if (format === "geojson") download(`${base}.geojson`, "application/geo+json", JSON.stringify(asGeoJSON(shown), null, 1));
  else download(`${base}.csv`, "text/csv", asCSV(shown));
}

/** The channel for a clicked place, as the server decides it (GET /v1/agreements/{id}/channels with
 *  lon, lat and the slider's time: the applying channel comes first), pool assignments included. */
async function showPlace(latlng) {
  const t = sliderTime() ?? serverNow();
  const where = `${latlng.lat.toFixed(4)}, ${latlng.lng.toFixed(4)}`;
  const query = new URLSearchParams({ lon: latlng.lng.toFixed(6), lat: latlng.lat.toFixed(6), at: t.toISOString() });
  let channel = null;
  try {
    [channel = null] = (await api(`/v1/agreements/${encodeURIComponent(state.agreement.id)}/channels?${query}`)).items;
  } catch (error) {
    $("place-info").textContent = `Channel: ${error.message}`;
    return;
  }
  const info = el("dl", { class: "channel" },
    el("dt", {}, channel ? channel.name : "No channel"),
    el("dd", {}, channel ? channel.contact : "The agreement names no channel for this place and time."),
    el("dd", { class: "meta" }, `${where} at ${when(t)}`,
      channel?.source === "assigned" ? " (assigned from the pool to the operations here)" : channel && !channel.area ? " (the agreement's channel for everywhere else)" : ""));
  $("place-info").replaceChildren(info);
  map.popup(latlng, info.cloneNode(true));
}

// ---- time slider over the planning window ------------------------------------------------------

function setupSlider() {
  const now = serverNow().getTime();
  const times = state.notices.flatMap((n) => n.volumes.flatMap((v) => [new Date(v.time.start).getTime(), new Date(v.time.end).getTime()]));
  const start = Math.min(now, ...times);
  const end = Math.max(now + HOUR, ...times); // notices lie within the planning horizon already
  const slider = $("time");
  const value = Number(slider.value);
  slider.min = String(Math.floor(start / 1000));
  slider.max = String(Math.ceil(end / 1000));
  if (!(value >= start / 1000 && value <= end / 1000)) slider.value = String(Math.floor(now / 1000));
  applyTime();
}

function sliderTime() {
  return $("all-times").checked ? null : new Date(Number($("time").value) * 1000);
}

function setSliderTime(t) {
  $("time").value = String(Math.floor(t.getTime() / 1000));
  $("all-times").checked = false;
  applyTime();
}

function applyTime() {
  const t = sliderTime();
  $("time-label").value = t ? `${utc(t)} (${local(t)})` : `all: ${utc(Number($("time").min) * 1000)} – ${utc(Number($("time").max) * 1000)}`;
  $("time").setAttribute("aria-valuetext", t ? utc(t) : "all times");
  map.setTime(t);
  zones?.setTime(t);
  renderConflicts();
  if (state.me) renderChart();
}

// ---- wiring ------------------------------------------------------------------------------------

function showMute() {
  const button = $("mute");
  button.textContent = muted() ? "Sound off" : "Sound on";
  button.setAttribute("aria-pressed", String(muted()));
  button.setAttribute("aria-label", muted() ? "Sound off: turn the alert tone on" : "Sound on: mute the alert tone");
}

$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", () => signOut());
$("agreement").addEventListener("change", (e) => selectAgreement(e.target.value).catch(console.warn));
$("compose").addEventListener("submit", sendMessage);
$("time").addEventListener("input", () => {
  $("all-times").checked = false;
  applyTime();
});
$("all-times").addEventListener("change", applyTime);
$("mute").addEventListener("click", () => { setMuted(!muted()); showMute(); });
$("notify").addEventListener("click", async () => {
  const answer = await enableNotifications();
  $("notify").textContent = answer === "granted" ? "Desktop alerts on" : answer === "denied" ? "Desktop alerts blocked" : "Desktop alerts";
});
$("theme").addEventListener("click", () => theme.toggle($("theme")));
$("fit-aircraft").addEventListener("click", () => map.fitAircraft());
$("fit-notices").addEventListener("click", () => map.fit());
for (const id of ["notice-whose", "notice-state"]) $(id).addEventListener("change", renderNoticeList);
$("notice-search").addEventListener("input", renderNoticeList);
$("export-geojson").addEventListener("click", () => exportNotices("geojson"));
$("export-csv").addEventListener("click", () => exportNotices("csv"));
network.addEventListener("ok", () => connection.ok());
network.addEventListener("failed", (event) => connection.failed(event.detail.error));
network.addEventListener("unauthorized", () => signOut(REVOKED));
theme.apply($("theme"));
showMute();
if (matchMedia("(max-width: 700px)").matches) $("legend").open = false; // on a phone the map comes first

(async () => {
  const reason = sessionStorage.getItem(SIGNED_OUT);
  sessionStorage.removeItem(SIGNED_OUT);
  const saved = token.get();
  if (!saved) {
    $("signin").hidden = false;
    if (reason) $("signin-error").textContent = reason;
    return;
  }
  try {
    const early = Promise.all([api("/v1/health"), all("/v1/agreements")]);
    early.catch(() => {}); // its failure is /v1/me's, reported below
    await start(await api("/v1/me"), early);
  } catch (error) {
    token.clear();
    $("console").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = error.status === 401 ? REVOKED : `Signed out: ${error.message}`;
  }
})();
