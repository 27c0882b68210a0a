import { el } from "../dom.js";

// The announce form: where (zones or a group), what (a recorded message or text to speak), priority, repeats, and
// the mode. TEST is a different colour and says "TEST — not a real announcement" on the form and its button.
export const TEST_WORDING = "TEST — not a real announcement";
const PRIORITIES = [
  ["evacuate", "Evacuate (highest)"], ["alert", "Alert"], ["announcement", "Announcement"], ["routine", "Routine"], ["background", "Background (lowest)"],
];

let seq = 0;
const radio = (name, value, label, checked = false) => {
  const id = `pa-${name}-${value}-${++seq}`;
  return { input: el("input", { type: "radio", name, value, id, checked }), label: el("label", { for: id }, label) };
};

export function announceForm(api, onSubmit) {
  const zonesBox = el("div", { class: "checks", role: "group", "aria-label": "Zones" });
  const groupSel = el("select", { id: "pa-group", "aria-label": "Zone group" });
  const systemSel = el("select", { id: "pa-system", "aria-label": "PA system" });
  const messageSel = el("select", { id: "pa-message", "aria-label": "Recorded message" });
  const text = el("textarea", { id: "pa-text", rows: "3", maxlength: "400", "aria-label": "Text to speak", "aria-describedby": "pa-text-help" });
  const textHelp = el("p", { id: "pa-text-help", class: "muted small" }, "Plain words; the edge speaks them with its offline voice.");
  const priority = el("select", { id: "pa-priority" }, PRIORITIES.map(([v, l]) => el("option", { value: v, selected: v === "announcement" }, l)));
  const repeat = el("input", { id: "pa-repeat", type: "number", min: "0", max: "9", value: "0", size: "3" });
  const interval = el("input", { id: "pa-interval", type: "number", min: "0", max: "3600", value: "0", size: "4" });
  const note = el("input", { id: "pa-label", type: "text", maxlength: "120" });
  const tZones = radio("target", "zones", "Zones", true), tGroup = radio("target", "group", "Group");
  const cMsg = radio("content", "message", "Recorded message", true), cText = radio("content", "text", "Text to speak");
  const mLive = radio("mode", "live", "LIVE — played in the zones", true), mTest = radio("mode", "test", TEST_WORDING);
  const submit = el("button", { type: "submit", class: "primary" }, "Announce LIVE");
  const modeNote = el("p", { class: "mode-note", role: "status" });
  const form = el("form", { class: "announce mode-live", "aria-label": "Make an announcement" },
    el("div", { class: "field", hidden: true, "data-system-field": "" }, el("label", { for: "pa-system" }, "PA system"), systemSel),
    el("fieldset", {}, el("legend", {}, "Where"), el("p", { class: "inline" }, tZones.input, tZones.label, tGroup.input, tGroup.label), zonesBox,
      el("div", { class: "field" }, el("label", { for: "pa-group" }, "Zone group"), groupSel)),
    el("fieldset", {}, el("legend", {}, "What"), el("p", { class: "inline" }, cMsg.input, cMsg.label, cText.input, cText.label),
      el("div", { class: "field" }, el("label", { for: "pa-message" }, "Recorded message"), messageSel),
      el("div", { class: "field" }, el("label", { for: "pa-text" }, "Text to speak"), text, textHelp)),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: "pa-priority" }, "Priority"), priority),
      el("div", { class: "field" }, el("label", { for: "pa-repeat" }, "Repeats"), repeat),
      el("div", { class: "field" }, el("label", { for: "pa-interval" }, "Pause between plays (s)"), interval),
      el("div", { class: "field grow" }, el("label", { for: "pa-label" }, "Note for the log (optional)"), note)),
    el("fieldset", { class: "mode" }, el("legend", {}, "Mode"), el("p", { class: "inline" }, mLive.input, mLive.label, mTest.input, mTest.label)),
    modeNote, submit);

  let systems = [], zones = [], messages = [];
  const sysKey = (s) => `${s.node_id}/${s.id}`;
  const current = () => systems.find((s) => sysKey(s) === systemSel.value) || systems[0];
  const sync = () => {
    const byZones = tZones.input.checked, byMsg = cMsg.input.checked, test = mTest.input.checked;
    zonesBox.hidden = !byZones; groupSel.closest(".field").hidden = byZones;
    messageSel.closest(".field").hidden = !byMsg; text.closest(".field").hidden = byMsg;
    form.classList.toggle("mode-test", test); form.classList.toggle("mode-live", !test);
    submit.textContent = test ? `Send ${TEST_WORDING}` : "Announce LIVE";
    modeNote.textContent = test ? `${TEST_WORDING}: the edge checks and plans it; nothing is played.` : "LIVE: this will be played in the chosen zones.";
  };
  form.addEventListener("change", sync);

  const fill = () => {
    const sys = current();
    const chosen = new Set([...zonesBox.querySelectorAll("input:checked")].map((i) => i.value));
    zonesBox.replaceChildren(...zones.filter((z) => !sys || (z.node_id === sys.node_id && z.system === sys.id)).map((z) => {
      const id = `pa-zone-${z.node_id}-${z.zone}`;
      return el("span", { class: "check" }, el("input", { type: "checkbox", id, value: String(z.zone), checked: chosen.has(String(z.zone)) }),
        el("label", { for: id }, `${z.zone} ${z.name}`));
    }));
    const groups = Object.keys((sys && sys.groups) || {}).sort();
    groupSel.replaceChildren(...groups.map((g) => el("option", { value: g }, `${g} (${sys.groups[g].length} zones)`)));
    const msgs = messages.filter((m) => !sys || (m.node_id === sys.node_id && m.system === sys.id));
    const was = messageSel.value;
    messageSel.replaceChildren(...msgs.map((m) => el("option", { value: String(m.id), selected: String(m.id) === was }, `${m.id}: ${m.name} (${Math.round(m.duration_s)} s)`)));
  };
  systemSel.addEventListener("change", fill);

  text.addEventListener("blur", async () => {
    if (!text.value.trim()) return;
    try {
      const r = await api.call("/api/v1/pa/text-check", { method: "POST", json: { text: text.value } });
      textHelp.textContent = r.ok ? `OK — ${r.text.length} of ${r.max_chars} characters.` : `Not accepted: ${r.problem}`;
      textHelp.className = r.ok ? "small ok" : "small bad";
    } catch (err) { textHelp.textContent = `Could not check the text — ${err.message}`; }
  });

  form.onsubmit = (ev) => {
    ev.preventDefault();
    const sys = current();
    const body = { mode: mTest.input.checked ? "test" : "live", priority: priority.value, repeat: Number(repeat.value || 0), interval_s: Number(interval.value || 0) };
    if (systems.length > 1 && sys) body.system = sysKey(sys);
    if (tZones.input.checked) {
      body.zones = [...zonesBox.querySelectorAll("input:checked")].map((i) => Number(i.value));
      if (!body.zones.length) return onSubmit(null, "Choose at least one zone (or a group).");
    } else {
      if (!groupSel.value) return onSubmit(null, "This PA system has no zone groups.");
      body.group = groupSel.value;
    }
    if (cMsg.input.checked) {
      if (!messageSel.value) return onSubmit(null, "Choose a recorded message.");
      body.message_id = Number(messageSel.value);
    } else {
      if (!text.value.trim()) { text.focus(); return onSubmit(null, "Type the text to speak."); }
      body.text = text.value.trim();
    }
    if (note.value.trim()) body.label = note.value.trim();
    return onSubmit(body);
  };

  sync();
  return {
    node: form,
    setData(s, z, m) {
      systems = s; zones = z; messages = m;
      const was = systemSel.value;
      systemSel.replaceChildren(...systems.map((x) => el("option", { value: sysKey(x), selected: sysKey(x) === was }, x.label || sysKey(x))));
      form.querySelector("[data-system-field]").hidden = systems.length < 2;
      fill(); sync();
    },
  };
}
