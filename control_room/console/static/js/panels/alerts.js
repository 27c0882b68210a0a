import { el } from "../api.js";

// Live alerts, most urgent first.
export default {
  id: "alerts", title: "Alerts",
  mount(section, { api, stream }) {
    const alerts = new Map();
    const list = el("ul", { "aria-live": "polite" });
    section.append(el("h2", {}, "Alerts"), list);
    const render = () => {
      const rows = [...alerts.values()].filter((a) => a.state !== "closed").sort((a, b) => a.priority - b.priority || b.id - a.id);
      list.replaceChildren(...rows.map((a) => el("li", { class: `p${a.priority}`, "data-alert": a.id },
        `P${a.priority} `, a.message, a.count > 1 ? ` (×${a.count})` : "", a.active ? "" : " — cleared")));
    };
    const load = async () => { for (const a of await api.call("/api/v1/alerts")) alerts.set(a.id, a); render(); };
    stream.on("open", load);
    stream.on("alert", (a) => { alerts.set(a.id, a); render(); });
  },
};
