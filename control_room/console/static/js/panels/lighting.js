import { el } from "../api.js";
import { outcomeText } from "../outcome.js";
import { faultsSection } from "./lighting_faults.js";
import { scheduleSection } from "./lighting_schedule.js";
import { energySection } from "./lighting_energy.js";
import { allZonesSection } from "./lighting_all.js";

// Lighting: zones (commanded vs reported, what sets the level, override, schedule, faults), with controls to set a
// level, override a zone for a while with a reason, and end an override; then faults, schedules and energy.
const kwh = (v) => (v >= 1 || v === 0 ? v.toFixed(2) : v.toPrecision(2));
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "—");

function zoneRow(z, api, say) {
  const cells = {
    source: el("td"), commanded: el("td"), reported: el("td"), online: el("td"),
    override: el("td"), schedule: el("td"), faults: el("td"), energy: el("td"),
  };
  const level = el("input", { type: "number", min: "0", max: "100", value: "100", size: "4", "aria-label": `level for ${z.id}` });
  const minutes = el("input", { type: "number", min: "1", max: "10080", value: "30", size: "4", "aria-label": `override minutes for ${z.id}` });
  const reason = el("input", { type: "text", maxlength: "500", placeholder: "reason / incident ref", "aria-label": `override reason for ${z.id}` });
  const path = `/api/v1/lighting/zones/${encodeURIComponent(z.id)}`;
  const act = async (what, fn) => {
    try { const r = await fn(); say(`${z.id}: ${outcomeText(what, r)}`); }
    catch (err) { say(`${z.id}: ${what} refused — ${err.message}`); }
  };
  const setLevel = () => act(`level ${level.value}%`, () => api.call(`${path}/level`, { method: "POST", json: { level: Number(level.value) } }));
  const override = () => {
    if (!reason.value.trim()) { say(`${z.id}: an override needs a reason`); reason.focus(); return; }
    act(`override ${level.value}% for ${minutes.value} min`, () => api.call(`${path}/override`, {
      method: "POST", json: { level: Number(level.value), duration_s: Math.round(Number(minutes.value) * 60), reason: reason.value.trim() },
    }));
  };
  const clear = el("button", { type: "button", class: "danger", onclick: () => act("override ended", () => api.call(`${path}/override`, { method: "DELETE" })) }, "End override");
  const head = el("th", { scope: "row" });
  const row = el("tr", { "data-zone": z.id }, head, ...Object.values(cells));
  const controls = el("tr", { class: "controls", "data-zone-controls": z.id },
    el("td", { colspan: "9" }, el("span", { class: "inline" },
      level, "%", el("button", { type: "button", onclick: setLevel }, "Set level"),
      " or hold for ", minutes, " min:", reason, el("button", { type: "button", onclick: override }, "Override"), clear)));
  const update = (z) => {
    head.textContent = z.label || z.id;
    cells.source.textContent = z.source ?? "—";
    cells.commanded.textContent = z.commanded ?? "—";
    cells.reported.textContent = z.reported ?? "—";
    cells.reported.className = z.commanded != null && z.reported != null && z.reported !== z.commanded ? "warn" : "";
    cells.online.textContent = `${z.online ?? "?"}/${z.luminaires ?? "?"}`;
    cells.online.className = z.online != null && z.online < z.luminaires ? "warn" : "";
    const o = z.override;
    cells.override.textContent = o ? `${o.level}% until ${fmtTime(o.expires_at)} — ${o.reason} (${o.issued_by})` : "none";
    clear.hidden = !o;
    const s = z.schedule;
    cells.schedule.textContent = s ? `${s.calendar}: ${s.level}% (${s.step ?? "—"}), next ${fmtTime(s.next_change)}` : "none";
    const bad = (z.faults || []).length, lagging = (z.not_at_level || []).length;
    cells.faults.textContent = bad || lagging ? [bad ? `${bad} faulty` : "", lagging ? `${lagging} not at level` : ""].filter(Boolean).join(", ") : "none";
    cells.faults.className = bad || lagging ? "warn" : "";
    cells.energy.textContent = z.energy_today_kwh != null ? `${kwh(z.energy_today_kwh)} kWh` : "—";
  };
  update(z);
  return { rows: [row, controls], update };
}

export default {
  id: "lighting", title: "Lighting",
  mount(section, ctx) {
    const { api, stream } = ctx;
    const zones = new Map();
    const status = el("p", { role: "status", class: "muted", "aria-live": "polite" });
    const say = (text) => { status.textContent = text; };
    const headers = ["Zone", "Set by", "Commanded %", "Reported %", "Online", "Override", "Schedule", "Faults", "Today"];
    const tbody = el("tbody");
    const table = el("table", { "aria-label": "Lighting zones" }, el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))), tbody);
    section.append(el("h2", {}, "Lighting zones"), status, table);
    allZonesSection(section, ctx, say);
    const faults = faultsSection(section, ctx);
    scheduleSection(section, ctx, say);
    energySection(section, ctx);
    const show = (z) => {
      let entry = zones.get(z.id);
      if (!entry) {
        entry = zoneRow(z, api, say);
        const after = [...zones.keys()].sort().find((id) => id > z.id);
        zones.set(z.id, entry);
        if (after) zones.get(after).rows[0].before(...entry.rows); else tbody.append(...entry.rows);
      } else entry.update(z);
    };
    const load = async () => { for (const z of await api.call("/api/v1/lighting/zones")) show(z); };
    stream.on("open", load);
    stream.on("device_state", (d) => {
      if (d.kind === "lighting_zone") show({ id: d.id, node_id: d.node_id, label: d.label, location: d.location, faults: [], ...d.state });
      if (d.kind === "luminaire") faults.changed();
    });
    stream.on("alert", () => faults.changed());
    stream.on("command", (c) => {
      if (["set_level", "override", "clear_override", "set_schedules"].includes(c.action)) {
        say(`${c.device_id}: ${c.action} ${c.stage}${c.message ? " — " + c.message : ""}`);
      }
    });
  },
};
