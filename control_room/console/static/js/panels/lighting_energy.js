import { el } from "../api.js";

const kwh = (v) => (v >= 1 || v === 0 ? v.toFixed(2) : v.toPrecision(2));

// Energy per zone over the last seven days (measured by street-light nodes, estimated for DALI gear).
export function energySection(section, { api, stream }) {
  const wrap = el("div");
  section.append(el("h3", {}, "Energy, last 7 days (kWh)"), wrap);
  const load = async () => {
    const r = await api.call("/api/v1/lighting/energy");
    const days = [...new Set(r.zones.flatMap((z) => z.days.map((d) => d.day)))].sort();
    if (!days.length) { wrap.replaceChildren(el("p", { class: "muted" }, "No energy reports yet.")); return; }
    const head = el("tr", {}, el("th", { scope: "col" }, "Zone"), ...days.map((d) => el("th", { scope: "col" }, d.slice(5))), el("th", { scope: "col" }, "Total"));
    const rows = r.zones.map((z) => {
      const by = Object.fromEntries(z.days.map((d) => [d.day, d]));
      return el("tr", {}, el("th", { scope: "row" }, z.zone),
        ...days.map((d) => el("td", { title: by[d] ? `measured ${by[d].measured_kwh}, estimated ${by[d].estimated_kwh}` : "" }, by[d] ? kwh(by[d].kwh) : "—")),
        el("td", {}, kwh(z.kwh)));
    });
    wrap.replaceChildren(el("table", { "aria-label": "Energy per zone and day" }, el("thead", {}, head), el("tbody", {}, rows)));
  };
  stream.on("open", load);
  setInterval(() => { if (!document.hidden) load().catch(() => {}); }, 5 * 60 * 1000);
}
