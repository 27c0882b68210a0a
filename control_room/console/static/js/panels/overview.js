import { el } from "../api.js";

// Nodes and devices with online/offline, no map.
export default {
  id: "overview", title: "Overview",
  mount(section, { api, stream }) {
    const nodes = new Map(), devices = new Map();
    const body = el("div");
    section.append(el("h2", {}, "Nodes and devices"), body);
    const render = () => {
      body.replaceChildren(...[...nodes.values()].map((n) => {
        const devs = [...devices.values()].filter((d) => d.node_id === n.id);
        const kinds = {};
        for (const d of devs) kinds[d.kind] = (kinds[d.kind] || 0) + 1;
        return el("div", { class: "node", "data-node": n.id },
          el("h3", {}, n.id, " ", el("span", { class: n.online ? "online" : "offline" }, n.online ? "online" : "OFFLINE")),
          el("p", { class: "muted" }, Object.entries(kinds).map(([k, c]) => `${c} × ${k}`).join(", ") || "no devices"));
      }));
    };
    const load = async () => {
      for (const n of await api.call("/api/v1/nodes")) nodes.set(n.id, n);
      for (const d of await api.call("/api/v1/devices")) devices.set(`${d.node_id}/${d.id}`, d);
      render();
    };
    stream.on("open", load);
    stream.on("node", (n) => { nodes.set(n.id, n); render(); });
    stream.on("device", (d) => { devices.set(`${d.node_id}/${d.id}`, d); render(); });
  },
};
