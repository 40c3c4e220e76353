// An honest connection state. The console is live only while its event stream is connected and its
// last request was answered; otherwise a banner says since when it has had no contact, everything
// shown is greyed (body.stale) and stamped with its age, and the clock stops at the last contact.

import { $, age, utc } from "./dom.js";

export class Connection {
  constructor() {
    this.stream = "connecting"; // "live" | "reconnecting" | "connecting"
    this.failing = null; // the last request error while requests fail, else null
    this.lastContact = null; // Date (browser clock) of the last answer from the server
    this.since = null; // Date (browser clock) the console went stale
    this.toServer = (date) => date; // browser time -> the server's clock (main.js sets it)
  }

  /** Before the stream first connects the console is loading, not stale; after, a dropped stream or a
   *  failing request makes everything shown suspect. */
  get stale() {
    return this.stream === "reconnecting" || this.failing !== null;
  }

  ok() {
    this.lastContact = new Date();
    this.failing = null;
    this.render();
  }

  failed(error) {
    this.failing = error;
    this.render();
  }

  streamStatus(status) {
    this.stream = status;
    if (status === "live") this.lastContact = new Date();
    this.render();
  }

  /** The banner and the greying; called on every change and every second (the ages move). */
  render() {
    const badge = $("stream-state");
    badge.textContent = this.stream === "live" && this.failing ? "no answer" : this.stream;
    badge.className = `badge ${this.stale ? "down" : this.stream === "live" ? "live" : "wait"}`;
    const wasStale = document.body.classList.contains("stale");
    const stale = this.stale && this.lastContact !== null; // no contact yet: the sign-in or loading says so
    document.body.classList.toggle("stale", stale);
    if (stale && !wasStale) this.since = new Date();
    const banner = $("conn-banner");
    banner.hidden = !stale;
    if (stale) {
      const reason = this.failing ? `requests fail (${this.failing.message})` : "the live update stream is down";
      const at = utc(this.toServer(this.lastContact), true); // on the clock the console shows
      banner.textContent = `No contact with the server since ${at} (${age(Date.now() - this.lastContact)}): ${reason}. ` +
        "What you see may be out of date; retrying.";
      for (const stamp of document.querySelectorAll(".as-of")) stamp.textContent = `as of ${at}, ${age(Date.now() - this.lastContact)}`;
    } else {
      for (const stamp of document.querySelectorAll(".as-of")) stamp.textContent = "";
    }
  }
}
