import { el } from "../api.js";

// The live feed of events and command stages.
export default {
  id: "events", title: "Events",
  mount(section, { stream }) {
    const feed = el("ol", { class: "feed", reversed: "" });
    section.append(el("h2", {}, "Live events"), feed);
    const add = (text) => { feed.prepend(el("li", {}, text)); while (feed.children.length > 200) feed.lastChild.remove(); };
    stream.on("event", (e) => add(`${e.ts} ${e.node_id}/${e.device_id} ${e.type}${e.replayed ? " (replayed)" : ""}`));
    stream.on("command", (c) => add(`${c.updated_at} command ${c.action} → ${c.device_id}: ${c.stage} ${c.mode === "test" ? "[TEST]" : ""}`));
  },
};
