import { el, fmtTime, statusLine } from "../dom.js";
import { alertDetail } from "./alert_detail.js";

// Live alerts, most urgent first: priority shown as colour AND words, the alarm sounds for unacknowledged
// priority-1 alerts, and each alert can be acknowledged, taken, noted and closed from the list, by mouse or keys.
export const PRIORITY = { 1: "Critical", 2: "High", 3: "Medium", 4: "Low", 5: "Info" };
const STATE = { new: "New", acknowledged: "Acknowledged", in_progress: "In progress", closed: "Closed" };
const KEYS = "Keys in the list: ↑/↓ move, A acknowledge, T take (assign to me), N add a note, C close, D details.";

function order(a, b) {
  const closed = (x) => (x.state === "closed" ? 1 : 0);
  return closed(a) - closed(b) || a.priority - b.priority || (a.state === "new" ? 0 : 1) - (b.state === "new" ? 0 : 1) ||
    String(b.last_raised_at).localeCompare(String(a.last_raised_at)) || b.id - a.id;
}

function alertRow(a, ctx, act) {
  const { user, can } = ctx;
  const msgId = `alert-msg-${a.id}`;
  const prio = el("span", { class: "prio" });
  const state = el("span", { class: "state" });
  const escalated = el("span", { class: "badge escalated", hidden: true }, "Escalated to supervisors");
  const msg = el("strong", { id: msgId, class: "alert-msg" });
  const meta = el("p", { class: "alert-meta" });
  const btn = (label, key, onclick) => el("button", { type: "button", "data-action": key, "aria-describedby": msgId, onclick }, label);
  const ack = btn("Acknowledge", "ack", () => act.ack(a.id));
  const take = btn("Assign to me", "assign", () => act.take(a.id));
  const noteBtn = btn("Add note", "note", () => toggleNote(true));
  const close = btn("Close", "close", () => act.close(a.id));
  const details = btn("Details", "details", () => detail.toggle());
  const closeHint = el("span", { class: "hint", hidden: true }, "Condition still present — acknowledge only");
  const picture = el("a", { href: `/api/v1/alerts/${a.id}/snapshot.jpg`, target: "_blank", rel: "noopener", hidden: true }, "Picture");
  const noteText = el("textarea", { rows: "2", maxlength: "2000", "aria-label": `Note for alert ${a.id}` });
  const noteForm = el("form", { class: "note-form", hidden: true },
    noteText, el("button", { type: "submit" }, "Save note"), el("button", { type: "button", onclick: () => toggleNote(false) }, "Cancel"));
  const toggleNote = (open) => { noteForm.hidden = !open; if (open) noteText.focus(); else li.focus(); };
  noteForm.onsubmit = async (ev) => {
    ev.preventDefault();
    if (!noteText.value.trim()) { noteText.focus(); return; }
    if (await act.note(a.id, noteText.value.trim())) { noteText.value = ""; toggleNote(false); detail.refresh(); }
  };
  const detail = alertDetail(a.id, ctx.api);
  const actions = el("div", { class: "alert-actions" }, ack, take, noteBtn, close, closeHint, details, picture);
  const li = el("li", { class: "alert", "data-alert": a.id, tabindex: "-1", "aria-labelledby": msgId },
    el("div", { class: "alert-head" }, prio, state, escalated, msg), meta, actions, noteForm, detail.node);
  const update = (x) => {
    a = x;
    li.dataset.state = x.state; li.dataset.priority = x.priority;
    prio.className = `prio prio-${x.priority}`; prio.textContent = `P${x.priority} ${PRIORITY[x.priority] || ""}`;
    state.className = `state state-${x.state}`;
    state.textContent = STATE[x.state] || x.state;
    if (x.state === "acknowledged" && x.acknowledged_by) state.textContent += ` by ${x.acknowledged_by}`;
    if (x.state === "closed" && x.closed_by) state.textContent += ` by ${x.closed_by}`;
    escalated.hidden = !x.escalated_at || x.state === "closed";
    msg.textContent = x.message;
    const where = [x.location, x.node_id && x.device_id ? `${x.node_id}/${x.device_id}` : x.node_id].filter(Boolean).join(" · ");
    meta.replaceChildren(
      el("span", {}, where || x.source), " · ", el("span", { class: "muted" }, x.type),
      x.count > 1 ? el("span", { class: "count" }, ` · raised ×${x.count}`) : "",
      ` · first ${fmtTime(x.first_raised_at)}`, x.count > 1 ? `, last ${fmtTime(x.last_raised_at)}` : "",
      " · ", x.active ? el("span", { class: "warn" }, "condition still present") : el("span", { class: "ok" }, `cleared ${fmtTime(x.cleared_at)}`),
      x.owner ? ` · owner ${x.owner}` : "");
    const open = x.state !== "closed", mayAct = can("alerts.ack");
    ack.hidden = !(mayAct && x.state === "new");
    take.hidden = !(mayAct && open && x.owner !== user.username);
    noteBtn.hidden = !(mayAct && open);
    close.hidden = !(mayAct && open);
    close.disabled = Boolean(x.active);
    closeHint.hidden = close.hidden || !x.active;
    picture.hidden = !x.has_snapshot;
  };
  update(a);
  return { li, update, get alert() { return a; }, detail };
}

export default {
  id: "alerts", title: "Alerts",
  mount(section, ctx) {
    const { api, stream, announce, alarm, badge } = ctx;
    const alerts = new Map(), rows = new Map();
    const status = statusLine();
    const summary = el("p", { class: "summary" });
    const showClosed = el("input", { type: "checkbox", id: "alerts-show-closed" });
    const list = el("ol", { class: "alert-list", "aria-label": "Alerts, most urgent first" });
    const empty = el("p", { class: "muted" }, "No open alerts.");
    section.append(el("h2", {}, "Alerts"), summary,
      el("p", { class: "toolbar" }, el("label", { for: "alerts-show-closed" }, showClosed, " Show closed alerts")),
      el("p", { class: "muted small", id: "alerts-keys" }, KEYS), status.node, empty, list);
    list.setAttribute("aria-describedby", "alerts-keys");

    const run = async (what, id, fn) => {
      try { const r = await fn(); if (r && r.id) upsert(r, false); status.say(`Alert ${id}: ${what}.`, "ok"); return true; }
      catch (err) { status.say(`Alert ${id}: could not ${what} — ${err.message}`, "bad"); return false; }
    };
    const post = (id, verb, json) => api.call(`/api/v1/alerts/${id}/${verb}`, { method: "POST", json });
    const act = {
      ack: (id) => run("acknowledged", id, () => post(id, "ack", {})),
      take: (id) => run(`assigned to ${ctx.user.username}`, id, () => post(id, "assign", { owner: ctx.user.username })),
      note: (id, text) => run("note added", id, () => post(id, "notes", { text })),
      close: (id) => run("closed", id, () => post(id, "close", {})),
    };

    const render = () => {
      const shown = [...alerts.values()].filter((a) => showClosed.checked || a.state !== "closed").sort(order);
      const keep = new Set(shown.map((a) => a.id));
      for (const [id, row] of rows) if (!keep.has(id)) { row.li.remove(); rows.delete(id); }
      const focused = document.activeElement;
      shown.forEach((a, i) => {
        let row = rows.get(a.id);
        if (!row) { row = alertRow(a, ctx, act); rows.set(a.id, row); } else row.update(a);
        if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
      });
      if (focused && list.contains(focused) && document.activeElement !== focused) focused.focus({ preventScroll: true });
      if (!list.querySelector('li[tabindex="0"]') && list.firstElementChild) list.firstElementChild.tabIndex = 0;
      const open = [...alerts.values()].filter((a) => a.state !== "closed");
      const fresh = open.filter((a) => a.state === "new").length, p1 = open.filter((a) => a.priority === 1).length;
      empty.hidden = shown.length > 0;
      summary.textContent = `${open.length} open · ${fresh} new · ${p1} priority 1`;
      badge(fresh ? `(${fresh} new)` : "");
      alarm.check();
    };
    alarm.pending = () => [...alerts.values()].some((a) => a.priority === 1 && a.state === "new");

    // Stream messages that arrive while the list is being fetched are replayed over the fetched list: the fetch may
    // have read the store before the change they carry.
    let arrivedDuringLoad = null;
    const upsert = (a, live) => {
      if (arrivedDuringLoad) arrivedDuringLoad.push(a);
      const prev = alerts.get(a.id);
      alerts.set(a.id, { ...prev, ...a });
      const raised = live && a.state === "new" && (!prev || a.count > prev.count);
      if (raised) announce(`New priority ${a.priority} ${PRIORITY[a.priority] || ""} alert: ${a.message}${a.location ? ` at ${a.location}` : ""}`, a.priority <= 2);
      render();
    };
    const load = async () => {
      const q = showClosed.checked ? "?include_closed=true&limit=500" : "";
      const arrived = (arrivedDuringLoad = []);
      let fresh;
      try { fresh = await api.call(`/api/v1/alerts${q}`); } finally { arrivedDuringLoad = null; }
      alerts.clear();
      for (const a of fresh) alerts.set(a.id, a);
      for (const a of arrived) alerts.set(a.id, { ...alerts.get(a.id), ...a });
      render();
    };
    showClosed.addEventListener("change", () => load().catch((err) => status.say(err.message, "bad")));
    stream.on("open", () => load().catch((err) => status.say(`Could not load alerts — ${err.message}`, "bad")));
    stream.on("alert", (a) => upsert(a, true));
    stream.on("alert_escalated", (a) => {
      upsert(a, false);
      announce(`Priority ${a.priority} alert escalated to ${a.to_role || "supervisors"}: ${a.message}`, true);
    });

    list.addEventListener("keydown", (ev) => {
      const li = ev.target.closest && ev.target.closest("li.alert");
      if (!li || ev.target !== li || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const items = [...list.children];
      const i = items.indexOf(li);
      const move = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[ev.key];
      if (move !== undefined) {
        ev.preventDefault();
        const to = items[Math.max(0, Math.min(items.length - 1, move))];
        items.forEach((x) => { x.tabIndex = x === to ? 0 : -1; });
        to.focus();
        return;
      }
      const action = { a: "ack", t: "assign", n: "note", c: "close", d: "details", Enter: "details" }[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key];
      if (!action) return;
      const button = li.querySelector(`button[data-action="${action}"]`);
      ev.preventDefault();
      if (button && !button.hidden && !button.disabled) button.click();
      else status.say(`Alert ${li.dataset.alert}: that action is not available now.`);
    });
    list.addEventListener("focusin", (ev) => {
      if (ev.target.matches("li.alert")) for (const x of list.children) x.tabIndex = x === ev.target ? 0 : -1;
    });
  },
};
