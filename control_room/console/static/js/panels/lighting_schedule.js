import { el } from "../api.js";
import { awaitingApproval, outcomeText } from "../outcome.js";

// Schedules: the document each node runs (and where it came from); edit it as JSON and replace it (PUT).
export function scheduleSection(section, { api, stream }, say) {
  const info = el("p", { class: "muted" });
  const text = el("textarea", { rows: "12", cols: "80", spellcheck: "false", "aria-label": "Schedule document (JSON)" });
  const save = async () => {
    let doc;
    try { doc = JSON.parse(text.value); } catch (err) { say(`schedule: not valid JSON — ${err.message}`); return; }
    try {
      const r = await api.call("/api/v1/lighting/schedules", { method: "PUT", json: doc });
      say(awaitingApproval(r) ? outcomeText("schedule", r) : `schedule sent to ${r.commands.length} node(s)`);
    } catch (err) { say(`schedule refused — ${err.message}`); }
  };
  const details = el("details", {}, el("summary", {}, "Edit the schedule document"), text,
    el("p", {}, el("button", { type: "button", onclick: save }, "Replace schedule")));
  section.append(el("h3", {}, "Schedules"), info, details);
  const load = async () => {
    const nodes = await api.call("/api/v1/lighting/schedules");
    info.textContent = nodes.length ? nodes.map((n) => `${n.node_id}: ${n.source}` +
      (n.updated_by ? ` (replaced by ${n.updated_by} ${new Date(n.updated_at).toLocaleString()})` : "") +
      `, ${Object.keys(n.schedule?.zones || {}).length} of ${n.zones.length} zones scheduled`).join("; ") : "No lighting node yet.";
    if (nodes.length && document.activeElement !== text) {
      const merged = { ...nodes[0].schedule, zones: Object.assign({}, ...nodes.map((n) => n.schedule?.zones || {})) };
      text.value = JSON.stringify(merged, null, 2);
    }
  };
  stream.on("open", load);
  stream.on("device_state", (d) => { if (d.kind === "lighting_controller") load(); });
}
