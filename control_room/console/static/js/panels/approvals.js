import { el, fmtTime, statusLine } from "../dom.js";

// Sensitive actions waiting for a second person (a supervisor): approve, or reject with a reason. The person who
// asked cannot approve their own request; they may cancel it.
function modeBadge(mode) {
  return mode === "test" ? el("span", { class: "badge-test" }, "TEST — not a real announcement") : el("span", { class: "badge-live" }, "LIVE");
}

export default {
  id: "approvals", title: "Approvals", roles: ["supervisor"],
  mount(section, { api, stream, user, announce, badge }) {
    const pending = new Map();
    const status = statusLine();
    const list = el("ul", { class: "approval-list", "aria-label": "Requests waiting for approval" });
    const empty = el("p", { class: "muted" }, "Nothing waits for approval.");
    const decided = el("ul", { class: "decided", "aria-label": "Decisions seen this session" });
    section.append(el("h2", {}, "Approvals"),
      el("p", {}, "City-wide announcements and all-zones lighting overrides need a second person before they are sent."),
      status.node, empty, list, el("h3", {}, "Recent decisions"), decided);

    const decide = async (a, verb, json) => {
      try {
        const r = await api.call(`/api/v1/approvals/${a.id}/${verb}`, { method: "POST", json });
        status.say(`Request ${a.id} (${a.summary}): ${verb === "approve" ? "approved and sent" : verb === "reject" ? "rejected" : "cancelled"}.`, "ok");
        update(r && r.id ? r : { ...a, state: verb === "approve" ? "approved" : verb === "reject" ? "rejected" : "cancelled" });
      } catch (err) { status.say(`Request ${a.id}: could not ${verb} — ${err.message}`, "bad"); }
    };
    const item = (a) => {
      const sumId = `approval-${a.id}`;
      const reason = el("input", { type: "text", maxlength: "500", "aria-label": `Reason for rejecting request ${a.id}`, placeholder: "reason for rejecting" });
      const mine = a.requested_by === user.username;
      const approve = el("button", { type: "button", class: "primary", "aria-describedby": sumId, disabled: mine, onclick: () => decide(a, "approve", {}) }, "Approve");
      const reject = el("button", { type: "button", class: "danger", "aria-describedby": sumId, onclick: () => {
        if (!reason.value.trim()) { status.say("A rejection needs a reason.", "bad"); reason.focus(); return; }
        decide(a, "reject", { reason: reason.value.trim() });
      } }, "Reject");
      const cancel = el("button", { type: "button", "aria-describedby": sumId, onclick: () => decide(a, "cancel", {}) }, "Cancel request");
      return el("li", { class: "approval", "data-approval": a.id },
        el("p", {}, modeBadge(a.mode), " ", el("strong", { id: sumId }, a.summary || a.action)),
        el("p", { class: "muted" }, `${a.action} · asked by ${a.requested_by} at ${fmtTime(a.requested_at)} · expires ${fmtTime(a.expires_at)}`),
        el("details", {}, el("summary", {}, "Parameters"), el("pre", {}, JSON.stringify(a.params || {}, null, 2))),
        mine ? el("p", { class: "hint" }, "You asked for this: another supervisor must approve it.") : "",
        el("p", { class: "inline" }, approve, reason, reject, mine ? cancel : ""));
    };
    const nodes = new Map();
    const render = () => {
      const rows = [...pending.values()].sort((x, y) => String(x.expires_at).localeCompare(String(y.expires_at)));
      for (const id of nodes.keys()) if (!pending.has(id)) { nodes.get(id).remove(); nodes.delete(id); }
      rows.forEach((a, i) => {
        if (!nodes.has(a.id)) nodes.set(a.id, item(a));
        if (list.children[i] !== nodes.get(a.id)) list.insertBefore(nodes.get(a.id), list.children[i] || null);
      });
      empty.hidden = rows.length > 0;
      badge(rows.length ? `(${rows.length})` : "");
    };
    const update = (a) => {
      if (a.state === "pending") {
        if (!pending.has(a.id) && a.requested_by !== user.username) announce(`Approval requested by ${a.requested_by}: ${a.summary || a.action}`, true);
        pending.set(a.id, a);
      } else {
        if (pending.delete(a.id) || a.decided_by) {
          decided.prepend(el("li", {}, `${fmtTime(a.decided_at || new Date().toISOString())} ${a.summary || a.action}: ${a.state}` +
            (a.decided_by ? ` by ${a.decided_by}` : "") + (a.reason ? ` — ${a.reason}` : "")));
          while (decided.children.length > 20) decided.lastChild.remove();
        }
      }
      render();
    };
    const load = async () => {
      pending.clear();
      for (const a of await api.call("/api/v1/approvals?state=pending")) pending.set(a.id, a);
      render();
    };
    stream.on("open", () => load().catch((err) => status.say(`Could not load approvals — ${err.message}`, "bad")));
    stream.on("approval", update);
    // expired requests leave the list without a message from the server
    setInterval(() => {
      const now = Date.now(); let changed = false;
      for (const [id, a] of pending) if (a.expires_at && Date.parse(a.expires_at) < now) { pending.delete(id); changed = true; }
      if (changed) render();
    }, 5000);
  },
};
