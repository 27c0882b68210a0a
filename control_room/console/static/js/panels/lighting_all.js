import { el } from "../dom.js";
import { outcomeText } from "../outcome.js";

// An override of every zone at once: a sensitive action, held until a second person (a supervisor) approves it.
export function allZonesSection(section, { api, can }, say) {
  if (!can("command")) return;
  const level = el("input", { id: "light-all-level", type: "number", min: "0", max: "100", value: "100", size: "4" });
  const minutes = el("input", { id: "light-all-minutes", type: "number", min: "1", max: "10080", value: "30", size: "5" });
  const reason = el("input", { id: "light-all-reason", type: "text", maxlength: "500" });
  const test = el("input", { id: "light-all-test", type: "checkbox" });
  const submit = el("button", { type: "submit" }, "Request override of all zones");
  const form = el("form", { class: "row", "aria-label": "Override all zones" },
    el("div", { class: "field" }, el("label", { for: "light-all-level" }, "Level %"), level),
    el("div", { class: "field" }, el("label", { for: "light-all-minutes" }, "Minutes"), minutes),
    el("div", { class: "field grow" }, el("label", { for: "light-all-reason" }, "Reason / incident ref"), reason),
    el("div", { class: "field" }, el("label", { for: "light-all-test" }, test, " TEST — nothing changes")), submit);
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { say("all zones: an override needs a reason"); reason.focus(); return; }
    const body = { level: Number(level.value), duration_s: Math.round(Number(minutes.value) * 60), reason: reason.value.trim(), mode: test.checked ? "test" : "live" };
    try { say(`all zones: ${outcomeText(`override ${body.level}%`, await api.call("/api/v1/lighting/zones/all/override", { method: "POST", json: body }))}`); }
    catch (err) { say(`all zones: override refused — ${err.message}`); }
  };
  section.append(el("h3", {}, "All zones"), el("p", { class: "muted" }, "Overriding every zone needs a supervisor's approval before anything is sent."), form);
}
