// Signing what the console says with a key the browser holds (WebCrypto Ed25519), as the CLI and the
// Python client sign (docs/evidence.md): the statement {party, method, path, body, nonce, signed_at}
// in RFC 8785 canonical JSON after a context line, sent as the Deconfliction-Signature header. The
// private key is made (or imported) non-extractable and kept in IndexedDB: script can use it to sign,
// nothing can read it out. The console signs only with a key the server lists as registered and
// usable for the party; otherwise what it sends goes unsigned, and the panel says so.

import { api, signWith } from "./api.js";
import { el } from "./dom.js";

const CONTEXT = "deconfliction party statement v1\n";
const DB = "deconfliction-signing";
const KEYS = "keys";

// ---- RFC 8785 (JSON Canonicalization Scheme) -------------------------------------------------------
// JCS is defined on ECMAScript's own JSON serialisation of strings and numbers; what remains is to sort
// object members by their names' UTF-16 code units (JavaScript's default string order) and drop spaces.

export function canonical(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("JSON has no NaN or Infinity");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const names = Object.keys(value).filter((name) => value[name] !== undefined).sort();
    return `{${names.map((name) => `${JSON.stringify(name)}:${canonical(value[name])}`).join(",")}}`;
  }
  throw new TypeError(`cannot sign a ${typeof value}`);
}

// ---- bytes ---------------------------------------------------------------------------------------------

const base64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const base64url = (bytes) => base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromBase64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The key's id, as the server names keys: hex SHA-256 of the 32 raw public bytes. */
const keyIdOf = async (raw) => hex(await crypto.subtle.digest("SHA-256", raw));

// ---- what this browser can do ------------------------------------------------------------------------

let capable = null;

/** True where WebCrypto has Ed25519 (and IndexedDB can keep a key): tried once, by making a key. */
export function canSign() {
  capable ??= (async () => {
    if (!globalThis.crypto?.subtle || !globalThis.indexedDB) return false;
    try {
      await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      return true;
    } catch {
      return false;
    }
  })();
  return capable;
}

// ---- the key store (IndexedDB: one record per party, holding a non-extractable CryptoKey) -------------

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(KEYS, { keyPath: "party" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withKeys(mode, work) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const request = work(db.transaction(KEYS, mode).objectStore(KEYS));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

const storedKey = (party) => withKeys("readonly", (keys) => keys.get(party));
const keepKey = (record) => withKeys("readwrite", (keys) => keys.put(record));
const forgetKey = (party) => withKeys("readwrite", (keys) => keys.delete(party));

async function record(party, privateKey, raw) {
  return { party, privateKey, publicKey: base64(raw), keyId: await keyIdOf(raw), created: new Date().toISOString() };
}

/** A new key pair; the private half can sign but never leave the browser. */
export async function generateKey(party) {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const kept = await record(party, pair.privateKey, await crypto.subtle.exportKey("raw", pair.publicKey));
  await keepKey(kept);
  return kept;
}

/** A key from a PKCS#8 PEM file (`deconfliction audit keygen --out KEY.pem`): read once to learn its
 *  public half, then kept non-extractable. */
export async function importKey(party, pem) {
  const body = pem.match(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/);
  if (!body) throw new Error("not a PEM private key (-----BEGIN PRIVATE KEY-----)");
  const der = Uint8Array.from(atob(body[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  const readable = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  const raw = fromBase64url((await crypto.subtle.exportKey("jwk", readable)).x);
  const privateKey = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
  der.fill(0);
  const kept = await record(party, privateKey, raw);
  await keepKey(kept);
  return kept;
}

/** The Deconfliction-Signature header for one request, signed now (the server's clock: it refuses a
 *  signedAt far from its own). */
export async function signatureHeader(key, { party, method, path, body, now }) {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const signedAt = now().toISOString();
  const statement = { party, method: method.toUpperCase(), path, body: body === undefined ? null : body, nonce, signed_at: signedAt };
  const message = new TextEncoder().encode(CONTEXT + canonical(statement));
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, message);
  return `party=${party}, keyId=${key.keyId}, nonce=${nonce}, signedAt=${signedAt}, signature=${base64(signature)}`;
}

// ---- the panel -----------------------------------------------------------------------------------------

/** Why a registered key may not sign now, or null (as the server's PartyKey.usable_at). */
function unusable(registered, now) {
  if (!registered) return "not registered";
  if (registered.revoked_at && now >= new Date(registered.revoked_at)) return "revoked";
  if (now < new Date(registered.valid_from)) return `valid only from ${registered.valid_from}`;
  if (registered.valid_until && now >= new Date(registered.valid_until)) return "expired";
  return null;
}

export class ConsoleSigner {
  /** `section`: the panel's element; `now`: the server's clock. */
  constructor(section, { party, now }) {
    Object.assign(this, { section, party, now, key: null, registered: null, requires: false, error: "" });
  }

  async start() {
    this.capable = await canSign();
    if (this.capable) {
      this.key = (await storedKey(this.party).catch(() => null)) ?? null;
      await this.checkRegistration();
    }
    signWith((request) => this.sign(request));
    this.render();
  }

  /** The header for a write, or null (unsigned) while there is no usable key. */
  async sign({ method, path, body }) {
    if (!this.key || unusable(this.registered, this.now())) return null;
    return signatureHeader(this.key, { party: this.party, method, path, body, now: this.now });
  }

  setAgreement(agreement) {
    this.requires = Boolean(agreement?.signatures_required);
    this.render();
  }

  async checkRegistration() {
    this.registered = null;
    if (!this.key) return;
    try {
      const listed = await api(`/v1/parties/${encodeURIComponent(this.party)}/keys`);
      this.registered = listed.items.find((k) => k.key_id === this.key.keyId) ?? null;
    } catch (error) {
      this.error = `Could not read your registered keys: ${error.message}`;
    }
  }

  async act(work) {
    this.error = "";
    try {
      await work();
    } catch (error) {
      this.error = error.message;
    }
    this.render();
  }

  create = () => this.act(async () => {
    this.key = await generateKey(this.party);
    await this.checkRegistration();
  });

  importFrom = (input) => this.act(async () => {
    const [file] = input.files;
    if (!file) return;
    this.key = await importKey(this.party, await file.text());
    input.value = "";
    await this.checkRegistration();
  });

  register = () => this.act(async () => {
    // Sent unsigned: the key is not registered yet (the party's own token may register its keys).
    await api(`/v1/parties/${encodeURIComponent(this.party)}/keys`, { method: "POST", body: { public_key: this.key.publicKey } });
    await this.checkRegistration();
  });

  forget = () => this.act(async () => {
    await forgetKey(this.party);
    this.key = null;
    this.registered = null;
  });

  render() {
    const lines = [];
    const why = this.key ? unusable(this.registered, this.now()) : null;
    const short = this.key ? `${this.key.keyId.slice(0, 16)}…` : "";
    let state = "unsigned";
    if (!this.capable) {
      state = "cannot-sign";
      lines.push(el("p", { class: "signing-state" }, "This browser cannot sign: it has no WebCrypto Ed25519. What you send goes unsigned",
        this.requires ? ", and this agreement refuses it: use the CLI or the Python client with your key." : "."));
    } else if (!this.key) {
      lines.push(el("p", { class: "signing-state" }, "No signing key in this browser: what you send goes unsigned",
        this.requires ? ", and this agreement requires signatures." : "."),
      el("p", {},
        el("button", { type: "button", id: "signing-create", onclick: this.create }, "Create a signing key"), " ",
        el("label", { class: "file" }, "Import a key (PEM) ",
          el("input", { type: "file", id: "signing-import", accept: ".pem,application/x-pem-file,text/plain", onchange: (e) => this.importFrom(e.target) }))));
    } else if (why) {
      lines.push(el("p", { class: "signing-state" }, `Key ${short} is in this browser but ${why} for ${this.party}: what you send goes unsigned`,
        this.requires ? ", and this agreement requires signatures." : "."),
      el("p", { class: "meta" }, "Public key (register it here, or: deconfliction keys add ", this.party, " --public-key …):"),
      el("code", { id: "signing-public", class: "public-key" }, this.key.publicKey),
      el("p", {},
        why === "not registered" ? el("button", { type: "button", id: "signing-register", onclick: this.register }, "Register with the server") : null, " ",
        el("button", { type: "button", id: "signing-forget", onclick: this.forget }, "Forget this key")));
    } else {
      state = "signing";
      lines.push(el("p", { class: "signing-state" }, `Signing as ${this.party} with key ${short}`,
        " (kept in this browser; it cannot be copied out)."),
      el("code", { id: "signing-public", class: "public-key" }, this.key.publicKey),
      el("p", {}, el("button", { type: "button", id: "signing-forget", onclick: this.forget }, "Forget this key")));
    }
    if (this.error) lines.push(el("p", { class: "error", role: "alert" }, this.error));
    this.section.dataset.state = state;
    this.section.dataset.keyId = this.key?.keyId ?? "";
    this.section.replaceChildren(el("h2", {}, "Signing"), ...lines);
  }
}
