import { el } from "../api.js";

// Luminaires with a fault or offline (GET /api/v1/lighting/luminaires?fault=true), refreshed when states change.
export function faultsSection(section, { api, stream }) {
  const tbody = el("tbody");
  const empty = el("p", { class: "muted" }, "No faulty luminaires.");
  const table = el("table", { "aria-label": "Faulty luminaires" },
    el("thead", {}, el("tr", {}, ["Luminaire", "Zone", "Location", "Hardware", "Faults"].map((h) => el("th", { scope: "col" }, h)))), tbody);
  section.append(el("h3", {}, "Faulty luminaires"), empty, table);
  let timer = null;
  const load = async () => {
    const rows = await api.call("/api/v1/lighting/luminaires?fault=true");
    empty.hidden = rows.length > 0; table.hidden = rows.length === 0;
    tbody.replaceChildren(...rows.map((l) => el("tr", { "data-luminaire": l.id },
      el("th", { scope: "row" }, l.id), el("td", {}, l.zone ?? "—"), el("td", {}, l.location ?? "—"),
      el("td", {}, l.hardware ?? "—"), el("td", { class: "warn" }, l.faults.join(", ")))));
  };
  stream.on("open", load);
  return { changed() { clearTimeout(timer); timer = setTimeout(load, 1000); } };
}
