import { el, fmtTime, statusLine, debounce } from "../dom.js";
import { awaitingApproval, AWAITING } from "../outcome.js";
import { announceForm, TEST_WORDING } from "./pa_form.js";

// Public address: the all-clear (always on screen, one action), zones with their state and faults, the announce
// form, requests waiting for a supervisor, recent announcements with a cancel each, and the message library.
const ACTIVE = new Set(["queued", "playing"]);
const modeBadge = (mode) => (mode === "test" ? el("span", { class: "badge-test" }, TEST_WORDING) : el("span", { class: "badge-live" }, "LIVE"));

export default {
  id: "pa", title: "PA",
  mount(section, { api, stream, can, announce }) {
    const status = statusLine();
    const mayCommand = can("command");
    const allClear = el("button", { type: "button", class: "allclear", disabled: !mayCommand }, "All clear — stop every announcement");
    const bar = el("div", { class: "allclear-bar" }, allClear, status.node);
    const systemsBox = el("div", { class: "pa-systems" });
    const zonesBody = el("tbody");
    const zonesTable = el("table", { "aria-label": "Loudspeaker zones" },
      el("thead", {}, el("tr", {}, ["Zone", "Name", "State", "Playing", "Waiting", "Faults"].map((h) => el("th", { scope: "col" }, h)))), zonesBody);
    const waiting = el("ul", { class: "waiting", "aria-label": "Announcements waiting for approval" });
    const annBody = el("tbody");
    const annTable = el("table", { "aria-label": "Recent announcements" },
      el("thead", {}, el("tr", {}, ["When", "By", "What", "Zones", "Mode", "State", ""].map((h) => el("th", { scope: "col" }, h)))), annBody);
    const library = el("ul", { class: "library" });
    const form = announceForm(api, (body, problem) => (body ? send(body) : status.say(problem, "bad")));
    section.append(el("h2", {}, "Public address"), bar, el("h3", {}, "Systems"), systemsBox, el("h3", {}, "Zones"), zonesTable,
      ...(mayCommand ? [el("h3", {}, "Make an announcement"), form.node] : [el("p", { class: "muted" }, "Your role may watch the PA but not announce.")]),
      el("h3", {}, "Waiting for approval"), waiting, el("h3", {}, "Recent announcements"), annTable,
      el("details", {}, el("summary", {}, "Message library"), library));

    const requests = new Map();
    const showRequest = (a) => {
      let li = requests.get(a.id);
      if (!li) { li = el("li", { "data-approval": a.id }); requests.set(a.id, li); waiting.prepend(li); }
      const text = a.state === "pending" ? AWAITING : a.state === "approved" ? `approved by ${a.decided_by} — sent` :
        `${a.state}${a.decided_by ? ` by ${a.decided_by}` : ""}${a.reason ? `: ${a.reason}` : ""}`;
      const cancel = a.state === "pending" ? el("button", { type: "button", onclick: async () => {
        try { await api.call(`/api/v1/approvals/${a.id}/cancel`, { method: "POST", json: {} }); status.say("Request cancelled.", "ok"); }
        catch (err) { status.say(`Could not cancel the request — ${err.message}`, "bad"); }
      } }, "Cancel request") : "";
      li.className = `request state-${a.state}`;
      li.replaceChildren(modeBadge(a.mode || (a.params && a.params.mode)), " ", el("strong", {}, a.summary || "announcement"), " — ", el("span", { class: "awaiting" }, text), " ", cancel);
    };

    const send = async (body) => {
      try {
        const r = await api.call("/api/v1/pa/announcements", { method: "POST", json: body });
        if (awaitingApproval(r)) {
          showRequest({ ...r.approval, state: "pending" });
          status.say(`City-wide announcement: ${AWAITING}.`, "warn");
          announce(`Announcement ${AWAITING}.`);
        } else {
          status.say(`Announcement ${r.id.slice(0, 8)} ${r.state}${r.mode === "test" ? ` — ${TEST_WORDING}` : ""}, zones ${r.zones.join(", ")}.`, r.mode === "test" ? "test" : "ok");
          loadAnnouncements();
        }
      } catch (err) { status.say(`Announcement refused — ${err.message}`, "bad"); }
    };
    allClear.addEventListener("click", async () => {
      try {
        const r = await api.call("/api/v1/pa/all-clear", { method: "POST", json: {} });
        status.say(awaitingApproval(r) ? `All clear: ${AWAITING}.` : `All clear sent to ${r.command_ids.length} PA system(s).`, "ok");
      } catch (err) { status.say(`All clear refused — ${err.message}`, "bad"); }
    });

    const renderSystems = (systems) => {
      systemsBox.replaceChildren(...(systems.length ? systems.map((s) => el("p", { class: "pa-system" },
        el("strong", {}, s.label || s.id), " ",
        el("span", { class: s.connection === "connected" ? "ok" : "bad" }, s.connection || "not reported"), s.reason ? ` (${s.reason})` : "",
        " · mode ", { N: "normal", E: "EMERGENCY", F: "FAULT" }[s.mode] || s.mode || "—",
        s.faults.length ? el("span", { class: "warn" }, ` · ${s.faults.length} fault(s): ${s.faults.map((f) => f.text || f.code || JSON.stringify(f)).join(", ")}`) : "",
        s.active.length ? ` · ${s.active.length} announcement(s) in progress` : "")) : [el("p", { class: "muted" }, "No PA system has reported yet.")]));
    };
    const renderZones = (zones) => {
      zonesBody.replaceChildren(...zones.map((z) => el("tr", { "data-pa-zone": z.zone },
        el("th", { scope: "row" }, String(z.zone)), el("td", {}, z.name),
        el("td", { class: z.state === "fault" ? "bad" : z.state === "busy" ? "warn" : "" }, z.state),
        el("td", {}, z.busy_with ? z.busy_with.slice(0, 8) : "—"), el("td", {}, z.queued.length ? String(z.queued.length) : "—"),
        el("td", { class: z.faults.length ? "bad" : "" }, z.faults.join(", ") || "none"))));
    };
    const renderAnnouncements = (list) => {
      annBody.replaceChildren(...list.map((a) => {
        const zones = Object.entries(a.zones).map(([n, z]) => `${n}: ${z.state}`).join(", ");
        const cancel = ACTIVE.has(a.state) && mayCommand ? el("button", { type: "button", class: "danger", "aria-label": `Cancel announcement ${a.id.slice(0, 8)}`, onclick: async () => {
          try { await api.call(`/api/v1/pa/announcements/${a.id}/cancel`, { method: "POST", json: { mode: a.mode } }); status.say(`Cancel sent for ${a.id.slice(0, 8)}.`, "ok"); }
          catch (err) { status.say(`Cancel refused — ${err.message}`, "bad"); }
        } }, "Cancel") : "";
        return el("tr", { "data-announcement": a.id, class: a.mode === "test" ? "row-test" : "" },
          el("td", {}, fmtTime(a.issued_at)), el("td", {}, a.issued_by), el("td", {}, a.content || "—"), el("td", {}, zones),
          el("td", {}, modeBadge(a.mode)), el("td", {}, a.state, a.reason ? el("span", { class: "muted" }, ` (${a.reason})`) : ""), el("td", {}, cancel));
      }));
    };
    const loadAnnouncements = debounce(async () => {
      try { renderAnnouncements(await api.call("/api/v1/pa/announcements?limit=20")); } catch (err) { status.say(err.message, "bad"); }
    }, 300);
    const load = async () => {
      const [systems, zones, messages] = await Promise.all(["systems", "zones", "messages"].map((p) => api.call(`/api/v1/pa/${p}`)));
      renderSystems(systems); renderZones(zones); form.setData(systems, zones, messages);
      library.replaceChildren(...messages.map((m) => el("li", {}, `${m.id}: ${m.name} (${m.duration_s.toFixed(1)} s, ${m.system})`)));
      loadAnnouncements();
    };
    const reloadSoon = debounce(() => load().catch(() => {}), 500);
    stream.on("open", () => load().catch((err) => status.say(`Could not load the PA — ${err.message}`, "bad")));
    stream.on("device_state", (d) => { if (d.kind === "pa_zone" || d.kind === "pa") reloadSoon(); });
    stream.on("command", (c) => { if (["announce", "cancel", "all_clear"].includes(c.action)) loadAnnouncements(); });
    stream.on("approval", (a) => { if (requests.has(a.id)) showRequest(a); });
  },
};
