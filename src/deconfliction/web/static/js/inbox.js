// The hotline inbox: what this party was sent, overdue items first, each with its acknowledgment
// state and an Acknowledge button while one is owed.

import { countdown, el, utc, when } from "./dom.js";

const RANK = { overdue: 0, pending: 1 };

/** Overdue first, then pending by due time, then the rest newest first (the server's order, kept
 *  when an item changes locally before the next reload). */
export function ordered(items) {
  const rank = (item) => RANK[item.deadline?.state] ?? 2;
  return [...items].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank) return byRank;
    if (rank(a) < 2) return new Date(a.deadline.due_at) - new Date(b.deadline.due_at);
    return new Date(b.message.created_at) - new Date(a.message.created_at);
  });
}

function references(refs, onConflict) {
  const out = [];
  for (const id of refs?.conflicts ?? []) out.push(el("a", { href: "#", onclick: (e) => { e.preventDefault(); onConflict(id); } }, `conflict ${id.slice(0, 8)}…`));
  for (const id of refs?.notices ?? []) out.push(`notice ${id.slice(0, 8)}…`);
  for (const id of refs?.aircraft ?? []) out.push(`aircraft ${id}`);
  return out.length ? el("div", { class: "meta" }, "re: ", ...out.flatMap((x, i) => (i ? [", ", x] : [x]))) : null;
}

export function renderInbox(list, items, { onAck, onConflict, now = new Date() }) {
  if (!items.length) return list.replaceChildren(el("li", { class: "empty muted" }, "No messages."));
  list.replaceChildren(...ordered(items).map(({ message, deadline }) => {
    const state = deadline?.state ?? "none";
    const owed = state === "pending" || state === "overdue";
    const to = message.to?.length ? message.to.join(", ") : "all";
    return el("li", { class: `message ${state} kind-${message.kind}`, "data-message": message.id, "data-state": state },
      owed ? el("button", { type: "button", class: "ack", onclick: (e) => onAck(message.id, e.target) }, "Acknowledge") : null,
      el("span", { class: "kind" }, message.kind),
      el("strong", {}, message.sender), ` → ${to}`,
      el("div", { class: "text" }, message.text),
      references(message.refs, onConflict),
      el("div", { class: "meta" },
        `sent ${when(message.created_at, true)}`,
        deadline ? el("span", { class: "state" }, ` · ${state}`) : null,
        owed ? ` · ack due ${utc(deadline.due_at, true)} · ` : "",
        owed ? el("span", { class: "countdown", "data-due": deadline.due_at }, countdown(deadline.due_at, now)) : null,
        deadline?.acknowledged_at ? ` · acknowledged ${utc(deadline.acknowledged_at, true)}` : "",
        deadline?.escalations ? el("span", { class: "escalations" }, ` · escalated ${deadline.escalations}×`) : null));
  }));
}

/** What this party sent, newest first, with each recipient's acknowledgment (✓, pending, overdue ×n). */
export function renderSent(list, messages) {
  if (!messages.length) return list.replaceChildren(el("li", { class: "empty muted" }, "Nothing sent."));
  list.replaceChildren(...messages.map((message) => {
    const waiting = message.acknowledgments.some((a) => a.state === "pending" || a.state === "overdue");
    const overdue = message.acknowledgments.some((a) => a.state === "overdue");
    return el("li", { class: `message ${overdue ? "overdue" : waiting ? "pending" : "acknowledged"}`, "data-message": message.id },
      el("span", { class: "kind" }, message.kind), `→ ${message.to.join(", ")}`,
      el("div", { class: "text" }, message.text),
      el("div", { class: "meta" }, `sent ${utc(message.created_at, true)} · `,
        ...message.acknowledgments.flatMap((a, i) => [i ? ", " : "", el("span",
          { class: `ack-of ${a.state}`, "data-party": a.party_id },
          `${a.party_id} ${a.state === "acknowledged" ? "✓" : a.state}${a.escalations ? ` ×${a.escalations}` : ""}`)])));
  }));
}
