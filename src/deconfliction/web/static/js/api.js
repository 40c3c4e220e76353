// The /v1 API as the console uses it: the party token (sessionStorage: this tab only, gone when it
// closes), JSON requests, problem documents as errors, and the event stream.

const KEY = "deconfliction.token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

/** Every request's outcome, for the connection state: "ok", "failed" (no answer, or a 5xx) and
 *  "unauthorized" (a 401 to a request that carried the signed-in token). detail: {error, path}. */
export const network = new EventTarget();
const tell = (type, detail) => network.dispatchEvent(new CustomEvent(type, { detail }));

/** Writes are signed by `sign({method, path, body})` when it gives a header (signing.js). */
let signer = null;
export const signWith = (sign) => { signer = sign; };

export async function api(path, { method = "GET", body, auth = token.get() } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (signer && auth && method !== "GET") {
    // the path as the server reads it (decoded, no query), as the Python client signs it
    const signature = await signer({ method, path: decodeURIComponent(new URL(path, location.origin).pathname), body });
    if (signature) headers["Deconfliction-Signature"] = signature;
  }
  let reply;
  try {
    reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch (error) {
    tell("failed", { error, path });
    throw new ApiError(0, { detail: `the server did not answer (${error.message})` });
  }
  const text = await reply.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  // A 5xx with a problem document is the server answering (e.g. 503: no tactical monitor here);
  // without one, a proxy or a dying server is speaking.
  if (reply.status >= 500 && !data?.title) tell("failed", { error: new ApiError(reply.status, data), path });
  else tell("ok", { path });
  if (reply.status === 401 && auth && auth === token.get()) tell("unauthorized", { error: new ApiError(401, data), path });
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

/** Every item of a paginated list ({items, next}), following `next` as `after`. */
export async function all(path, params = {}) {
  const items = [];
  let after = null;
  do {
    const query = new URLSearchParams({ ...params, limit: "1000", ...(after ? { after } : {}) });
    const page = await api(`${path}?${query}`);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follow the party's feed over Server-Sent Events, resuming after `after` (a seq) and after every
 * dropped connection with Last-Event-ID. Read with fetch() rather than EventSource because
 * EventSource cannot send the Authorization header, and a token in the URL would end up in logs and
 * history. Calls onEvent({seq, kind, payload, …}) in order and onStatus("live"|"reconnecting"|"signed-out").
 */
export async function streamEvents({ after, onEvent, onStatus, signal, quietMs = 40_000 }) {
  let last = after;
  while (!signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${token.get()}`, Accept: "text/event-stream" };
      if (last !== null && last !== undefined) headers["Last-Event-ID"] = String(last);
      const reply = await fetch("/v1/events/stream", { headers, signal, cache: "no-store" });
      if (reply.status === 401) {
        onStatus("signed-out");  // the token was revoked, or the server's store is not the one it was issued by
        return;
      }
      if (!reply.ok) throw new ApiError(reply.status, null);
      onStatus("live");
      const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let frame = { data: [] };
      for (;;) {
        // The server sends a heartbeat on an idle stream: silence past `quietMs` means a dead connection
        // that TCP has not noticed yet (a server gone without closing it).
        let quiet;
        const silence = new Promise((resolve) => { quiet = setTimeout(() => resolve({ silent: true }), quietMs); });
        const next = await Promise.race([reader.read(), silence]);
        clearTimeout(quiet);
        if (next.silent) {
          reader.cancel().catch(() => {});
          break;
        }
        const { value, done } = next;
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, end).replace(/\r$/, "");
          buffer = buffer.slice(end + 1);
          if (line === "") {
            if (frame.data.length) {
              const event = JSON.parse(frame.data.join("\n"));
              if (frame.id) last = Number(frame.id);
              onEvent(event);
            }
            frame = { data: [] };
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "data") frame.data.push(value);
            else if (field === "id") frame.id = value;
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      console.warn("event stream:", error);
    }
    onStatus("reconnecting");
    await sleep(1000);
  }
}
