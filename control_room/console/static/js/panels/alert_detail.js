import { el, fmtTime } from "../dom.js";

// The expandable detail of an alert: its timeline and notes (GET /api/v1/alerts/{id}).
export function alertDetail(id, api) {
  const node = el("div", { class: "alert-detail", hidden: true });
  const line = (when, who, what, text) => el("li", {}, el("span", { class: "muted" }, fmtTime(when)), " ", who ? el("strong", {}, who) : "", " ", what || "", text ? ` — ${text}` : "");
  const refresh = async () => {
    if (node.hidden) return;
    try {
      const d = await api.call(`/api/v1/alerts/${id}`);
      const timeline = (d.timeline || []).map((t) => line(t.ts, t.actor, t.kind.replace("_", " "), t.kind === "note" ? "" : t.text));
      const notes = (d.notes || []).map((n) => line(n.ts, n.actor, "", n.text));
      node.replaceChildren(
        el("h3", {}, "Timeline"), timeline.length ? el("ol", { class: "timeline" }, timeline) : el("p", { class: "muted" }, "Nothing yet."),
        el("h3", {}, "Notes"), notes.length ? el("ul", { class: "notes" }, notes) : el("p", { class: "muted" }, "No notes."));
    } catch (err) { node.replaceChildren(el("p", { class: "bad" }, `Could not load the detail — ${err.message}`)); }
  };
  return {
    node, refresh,
    toggle() { node.hidden = !node.hidden; refresh(); },
  };
}
