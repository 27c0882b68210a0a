import { el, fmtTime, debounce } from "../dom.js";

// Nodes and devices with online/offline, no map: each node, its devices counted by kind, the ones offline named.
function deviceOffline(d, nodeOnline) {
  if (!nodeOnline) return true;
  const s = d.state || {};
  return s.online === false || ["offline", "unreachable", "disconnected", "backoff", "stopped"].includes(s.connection || s.state);
}

export default {
  id: "overview", title: "Overview",
  mount(section, { api, stream }) {
    const nodes = new Map(), devices = new Map();
    const summary = el("p", { class: "summary" });
    const body = el("div", { class: "nodes" });
    section.append(el("h2", {}, "Nodes and devices"), summary, body);
    const render = () => {
      const list = [...nodes.values()].sort((a, b) => Number(a.online) - Number(b.online) || a.id.localeCompare(b.id));
      let offlineDevices = 0;
      body.replaceChildren(...list.map((n) => {
        const devs = [...devices.values()].filter((d) => d.node_id === n.id);
        const kinds = new Map();
        for (const d of devs) {
          const k = kinds.get(d.kind) || { total: 0, offline: [] };
          k.total += 1; if (deviceOffline(d, n.online)) k.offline.push(d.label || d.id);
          kinds.set(d.kind, k);
        }
        const rows = [...kinds.entries()].sort().map(([kind, k]) => {
          offlineDevices += k.offline.length;
          return el("tr", {}, el("th", { scope: "row" }, kind), el("td", {}, String(k.total)),
            el("td", { class: k.offline.length ? "bad" : "ok" }, k.offline.length ? `${k.offline.length} offline` : "all online"),
            el("td", { class: "small" }, k.offline.slice(0, 12).join(", ") + (k.offline.length > 12 ? ` and ${k.offline.length - 12} more` : "")));
        });
        return el("article", { class: `node ${n.online ? "is-online" : "is-offline"}`, "data-node": n.id },
          el("h3", {}, n.id, " ", el("span", { class: `badge ${n.online ? "ok" : "bad"}` }, n.online ? "online" : "OFFLINE")),
          el("p", { class: "muted small" }, `version ${n.version || "?"} · since ${fmtTime(n.last_change_at)}`),
          rows.length ? el("table", { "aria-label": `Devices of ${n.id}` },
            el("thead", {}, el("tr", {}, ["Kind", "Devices", "State", "Offline"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, rows))
            : el("p", { class: "muted" }, "no devices"));
      }));
      const down = list.filter((n) => !n.online).length;
      summary.textContent = `${list.length} node(s), ${down} offline · ${devices.size} device(s), ${offlineDevices} offline`;
    };
    const renderSoon = debounce(render, 200);
    const load = async () => {
      const [ns, ds] = await Promise.all([api.call("/api/v1/nodes"), api.call("/api/v1/devices?limit=20000")]);
      nodes.clear(); devices.clear();
      for (const n of ns) nodes.set(n.id, n);
      for (const d of ds) devices.set(`${d.node_id}/${d.id}`, d);
      render();
    };
    stream.on("open", () => load().catch(() => {}));
    stream.on("node", (n) => { nodes.set(n.id, n); renderSoon(); });
    stream.on("device", (d) => { devices.set(`${d.node_id}/${d.id}`, { ...devices.get(`${d.node_id}/${d.id}`), ...d }); renderSoon(); });
    stream.on("device_state", (d) => {
      const key = `${d.node_id}/${d.id}`;
      if (devices.has(key)) { devices.get(key).state = d.state; renderSoon(); }
    });
  },
};
