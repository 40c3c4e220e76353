// The console: sign in with a party token, then one agreement at a time — its notices and conflicts
// on the map over a time slider, the hotline inbox, live alerts, and everything kept current from
// the party's event stream.

import { api, all, ApiError, streamEvents, token } from "./api.js";
import { $, el, height, metres, utc } from "./dom.js";
import { renderInbox, renderSent } from "./inbox.js";
import { ConsoleMap } from "./map.js";

const WORLD = "/console/vendor/world/countries-110m.geojson";
const HOUR = 3600e3;
const AGREEMENT = "deconfliction.agreement";
const TRACKS_EVERY_MS = 2000;

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
};
let map = null;

const serverNow = () => new Date(Date.now() + state.clockOffset);

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

function signOut() {
  state.stream?.abort();
  token.clear();
  sessionStorage.removeItem(AGREEMENT);
  location.reload();
}

// ---- loading -----------------------------------------------------------------------------------

async function start(me) {
  state.me = me;
  $("signin").hidden = true;
  $("console").hidden = false;
  $("who").textContent = `${me.party_id} (${me.scopes.join(" ")})`;
  if (!map) {
    map = new ConsoleMap($("map"), { onPlace: showPlace, onConflict: focusConflict });
    map.loadWorld(WORLD).catch((error) => console.warn("world outline:", error));
  }
  const health = await api("/v1/health"); // with the token: last_event_seq, where the live feed starts
  syncClock(health.now);
  const agreements = await all("/v1/agreements");
  const select = $("agreement");
  select.replaceChildren(...agreements.map((a) => el("option", { value: a.id }, `${a.name} (${a.id})`)));
  if (!agreements.length) {
    $("place-info").textContent = "Your party is not a member of any agreement yet.";
    return;
  }
  // The agreement named in the address (#agreement=ID, as `demo` prints it), else the last one chosen, else the first.
  const wanted = [new URLSearchParams(location.hash.slice(1)).get("agreement"), sessionStorage.getItem(AGREEMENT)];
  const chosen = wanted.find((id) => agreements.some((a) => a.id === id)) ?? agreements[0].id;
  select.value = chosen;
  await selectAgreement(chosen);
  follow(health.last_event_seq);
  setInterval(() => {
    $("server-time").textContent = utc(serverNow(), true);
  }, 1000);
  setInterval(() => api("/v1/health", { auth: null }).then((h) => syncClock(h.now), console.warn), 30_000);
}

/** The server's clock (its test clock, in tests) is the console's "now". `forwardOnly`: events resumed
 *  after a reconnect carry older times and must not move it back. */
function syncClock(now, forwardOnly = false) {
  const offset = new Date(now) - Date.now();
  if (!now || Number.isNaN(offset) || (forwardOnly && offset < state.clockOffset)) return;
  state.clockOffset = offset;
  $("server-time").textContent = utc(serverNow(), true);
}

async function selectAgreement(id) {
  state.agreement = await api(`/v1/agreements/${encodeURIComponent(id)}`);
  sessionStorage.setItem(AGREEMENT, id);
  history.replaceState(null, "", `#agreement=${encodeURIComponent(id)}`);
  state.alerts.clear();
  map.clearAircraft();
  const others = state.agreement.parties.filter((p) => p !== state.me.party_id);
  $("compose-to").replaceChildren(el("option", { value: "" }, "all co-parties"), ...others.map((p) => el("option", { value: p }, p)));
  await Promise.all([loadPlan(), loadInbox(), loadAlerts()]);
}

async function loadPlan() {
  const agreement_id = state.agreement.id;
  let plan;
  [state.notices, state.conflicts, plan] = await Promise.all([
    all("/v1/notices", { agreement_id, live: "true" }),
    all("/v1/conflicts", { agreement_id }),
    api(`/v1/agreements/${encodeURIComponent(agreement_id)}/channels`).then((page) => page.items, () => []),
  ]);
  map.show({ notices: state.notices, conflicts: state.conflicts, me: state.me.party_id, channels: plan });
  if (state.fitted !== agreement_id) {
    map.fit();
    state.fitted = agreement_id;
  }
  setupSlider();
  renderConflicts();
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
  renderInbox($("inbox"), state.inbox, { onAck: acknowledgeMessage, onConflict: (id) => focusConflict(state.conflicts.find((c) => c.id === id)) });
  const owed = state.inbox.filter((i) => ["pending", "overdue"].includes(i.deadline?.state));
  const overdue = owed.filter((i) => i.deadline.state === "overdue").length;
  $("inbox-count").textContent = owed.length ? `${owed.length} to acknowledge${overdue ? `, ${overdue} overdue` : ""}` : "";
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
  $("lines").replaceChildren(...(lines.length ? ["Lines: "] : []), ...lines.map((line) => el("span",
    { class: `line ${line.state}`, "data-party": line.party_id, title: line.last_test_at ? `last test ${utc(line.last_test_at, true)}` : "never tested" },
    `${line.party_id} ${line.state}`)));
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
  renderAlerts();
}

// ---- live updates ------------------------------------------------------------------------------

function follow(after) {
  state.stream?.abort();
  state.stream = new AbortController();
  const badge = $("stream-state");
  let connected = false;
  streamEvents({
    after,
    signal: state.stream.signal,
    onEvent,
    onStatus: (status) => {
      if (status === "signed-out") return signOut();
      badge.textContent = status;
      badge.className = `badge ${status === "live" ? "live" : "down"}`;
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
}

function onAlert(item) {
  if (!item?.alert) return;
  if (item.alert.status === "closed") state.alerts.delete(item.alert.id);
  else state.alerts.set(item.alert.id, item);
  renderAlerts(); // moves the aircraft of the open alerts; the next poll forgets the rest
}

// ---- actions -----------------------------------------------------------------------------------

async function acknowledgeMessage(id, button) {
  button.disabled = true;
  try {
    await api(`/v1/hotline/messages/${encodeURIComponent(id)}/ack`, { method: "POST" });
    await loadInbox();
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
  } catch (error) {
    button.disabled = false;
    button.title = error.message;
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
    $("compose-state").textContent = `Sent ${message.kind} to ${message.to.join(", ") || "all"} at ${utc(message.created_at, true)}.`;
    loadSent().catch(console.warn); // the sender hears of its own message only through acknowledgments
  } catch (error) {
    $("compose-state").textContent = `Not sent: ${error.message}${error.problem?.field ? ` (${error.problem.field})` : ""}`;
  }
}

// ---- panels ------------------------------------------------------------------------------------

function renderConflicts() {
  const me = state.me.party_id;
  const t = sliderTime();
  $("conflict-count").textContent = state.conflicts.length ? `${state.conflicts.length} open` : "none";
  $("conflict-list").replaceChildren(...state.conflicts.map((c) => {
    const mine = c.party_a === me ? c.acknowledged_a : c.acknowledged_b;
    const live = !t || (new Date(c.time_start) <= t && t < new Date(c.time_end));
    return el("li", { class: `conflict ${live ? "" : "inactive"}`, "data-conflict": c.id, onclick: () => focusConflict(c) },
      mine ? el("span", { class: "meta right" }, "acknowledged")
        : el("button", { type: "button", class: "ack", onclick: (e) => { e.stopPropagation(); acknowledgeConflict(c.id, e.target); } }, "Acknowledge"),
      el("strong", {}, `with ${c.party_a === me ? c.party_b : c.party_a}`),
      el("div", {}, `lateral ${metres(c.lateral_m)} · vertical ${height(c.vertical_m)}`),
      el("div", { class: "meta" }, `${utc(c.time_start)} – ${utc(c.time_end)}`),
      el("div", { class: "meta" }, c.channel ? `channel ${c.channel.name}: ${c.channel.contact}` : "no channel named"));
  }));
}

function renderAlerts() {
  const items = [...state.alerts.values()];
  $("alert-count").textContent = items.length ? `${items.length} open` : "";
  $("alert-list").replaceChildren(...items.map(({ alert, channel }) => el("li", { "data-alert": alert.id },
    el("strong", {}, alert.kind.replace(".", " ")), ` · ${alert.status}`,
    el("div", {}, alert.aircraft.map((a) => `${a.callsign || a.aircraft} (${a.party})`).join(" – ")),
    alert.d_cpa_m != null ? el("div", { class: "meta" }, `closest ${metres(alert.d_cpa_m)} in ${Math.round(alert.t_cpa_s)} s`) : null,
    alert.reason ? el("div", { class: "meta" }, alert.reason) : null,
    el("div", { class: "meta" }, channel ? `channel ${channel.name}: ${channel.contact}` : alert.channel ? `channel ${alert.channel}` : "no channel named"))));
  map.moveAircraft(items.flatMap((i) => i.alert.aircraft ?? []));
}

function focusConflict(conflict) {
  if (!conflict) return;
  state.focused = conflict.id;
  map.focus(conflict.where[0], conflict.where[1]);
  setSliderTime(new Date(conflict.time_start));
  $("compose-state").textContent = `Messages you send now refer to conflict ${conflict.id.slice(0, 8)}….`;
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
    el("dd", { class: "meta" }, `${where} at ${utc(t)}`,
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
  $("time-label").value = t ? utc(t) : `all: ${utc(Number($("time").min) * 1000)} – ${utc(Number($("time").max) * 1000)}`;
  map.setTime(t);
  renderConflicts();
}

// ---- wiring ------------------------------------------------------------------------------------

$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", signOut);
$("agreement").addEventListener("change", (e) => selectAgreement(e.target.value).catch(console.warn));
$("compose").addEventListener("submit", sendMessage);
$("time").addEventListener("input", () => {
  $("all-times").checked = false;
  applyTime();
});
$("all-times").addEventListener("change", applyTime);

(async () => {
  const saved = token.get();
  if (!saved) {
    $("signin").hidden = false;
    return;
  }
  try {
    await start(await api("/v1/me"));
  } catch (error) {
    token.clear();
    $("console").hidden = true;
    $("signin").hidden = false;
    $("signin-error").textContent = `Signed out: ${error.message}`;
  }
})();
