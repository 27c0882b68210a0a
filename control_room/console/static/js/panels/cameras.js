import { el, fmtAge, statusLine } from "../dom.js";
import { attachCameraForm } from "./camera_attach.js";

// The camera wall: a tile per camera with health badges (state, fps, age of the last frame) and a live MJPEG
// picture. Pictures play only while this panel is on screen — the edge encodes and relays a camera only while
// someone watches — and at most MAX_LIVE at once (a browser opens six connections per server; the rest of the
// console needs some). Other tiles offer "Watch", which replaces the tile watched longest.
const MAX_LIVE = 4;
const OFFLINE_STATES = new Set(["backoff", "stopped"]);

function tile(cam, wall) {
  const title = el("h3", {}, cam.label || cam.id);
  const where = el("p", { class: "muted small" }, [cam.location, cam.node_id].filter(Boolean).join(" · "));
  const badges = el("p", { class: "badges" });
  const img = el("img", { alt: `Live picture of ${cam.label || cam.id}`, width: "640", height: "360", hidden: true });
  const placeholder = el("p", { class: "placeholder" });
  const watch = el("button", { type: "button", "aria-label": `Watch ${cam.label || cam.id}`, onclick: () => wall.watch(cam.id) }, "Watch");
  const pause = el("button", { type: "button", "aria-label": `Pause ${cam.label || cam.id}`, onclick: () => wall.pause(cam.id) }, "Pause");
  const frame = el("div", { class: "frame" }, img, placeholder);
  const node = el("figure", { class: "tile", "data-camera": cam.id }, frame, el("figcaption", {}, title, where, badges, watch, pause));
  let retry = null, backoff = 2000, live = false;
  const stop = () => { clearTimeout(retry); retry = null; img.removeAttribute("src"); img.hidden = true; live = false; };
  const start = () => {
    if (live) return;
    live = true; backoff = 2000;
    img.src = `/api/v1/cameras/${encodeURIComponent(cam.id)}/live.mjpeg`;
    placeholder.textContent = "Connecting…";
  };
  img.addEventListener("load", () => { img.hidden = false; placeholder.textContent = ""; });
  img.addEventListener("error", () => {
    if (!live) return;
    img.hidden = true; placeholder.textContent = `No picture — retrying in ${Math.round(backoff / 1000)} s`;
    img.removeAttribute("src");
    retry = setTimeout(() => { if (live) img.src = `/api/v1/cameras/${encodeURIComponent(cam.id)}/live.mjpeg?r=${Date.now()}`; }, backoff);
    backoff = Math.min(backoff * 2, 30000);
  });
  const update = (c, playing) => {
    cam = c;
    const h = c.health || {};
    const offline = !c.health || OFFLINE_STATES.has(h.state) || (h.conditions || []).includes("camera_offline");
    const badge = (cls, text) => el("span", { class: `badge ${cls}` }, text);
    const conds = (h.conditions || []).filter((x) => x !== "camera_offline").map((x) => badge("warn", x.replace("camera_", "")));
    badges.replaceChildren(
      offline ? badge("bad", h.state ? `OFFLINE (${h.state})` : "OFFLINE (no report)") : badge("ok", h.state || "online"),
      badge("", `${h.fps != null ? h.fps.toFixed(1) : "—"} fps`),
      badge(h.last_frame_age_s != null && h.last_frame_age_s > 5 ? "warn" : "", `last frame ${fmtAge(h.last_frame_age_s)} ago`),
      ...conds);
    node.classList.toggle("offline", offline);
    watch.hidden = playing || !c.live || offline;
    pause.hidden = !playing || !c.live || offline;
    if (!c.live) placeholder.textContent = "This camera's edge offers no live view.";
    else if (offline) placeholder.textContent = "Camera offline.";
    else if (!playing) placeholder.textContent = "Live view paused.";
    if (playing && c.live && !offline) start(); else stop();
  };
  return { node, update, stop };
}

export default {
  id: "cameras", title: "Cameras",
  mount(section, ctx) {
    const { api, stream, can, isShown } = ctx;
    const cams = new Map(), tiles = new Map();
    let playing = []; // ids, longest watched first
    const paused = new Set(); // tiles a person paused: not refilled automatically
    const status = statusLine();
    const grid = el("div", { class: "wall" });
    section.append(el("h2", {}, "Camera wall"),
      el("p", { class: "muted" }, `Live pictures play while this panel is open, ${MAX_LIVE} at a time; use Watch to swap one in.`), status.node, grid);
    if (can("devices.manage")) attachCameraForm(section, ctx, status);

    const wall = {
      watch(id) { paused.delete(id); playing = [...playing.filter((x) => x !== id), id].slice(-MAX_LIVE); render(); },
      pause(id) { paused.add(id); playing = playing.filter((x) => x !== id); render(); },
    };
    const render = () => {
      const visible = isShown();
      const ids = [...cams.keys()].sort();
      // keep the choice; fill free places with cameras that can play
      playing = playing.filter((id) => cams.has(id));
      for (const id of ids) if (playing.length < MAX_LIVE && !playing.includes(id) && !paused.has(id) && cams.get(id).live) playing.push(id);
      for (const [id, t] of tiles) if (!cams.has(id)) { t.stop(); t.node.remove(); tiles.delete(id); }
      ids.forEach((id, i) => {
        if (!tiles.has(id)) tiles.set(id, tile(cams.get(id), wall));
        const t = tiles.get(id);
        if (grid.children[i] !== t.node) grid.insertBefore(t.node, grid.children[i] || null);
        t.update(cams.get(id), visible && playing.includes(id));
      });
      if (!ids.length) status.say("No camera has reported yet.");
    };
    const load = async () => { cams.clear(); for (const c of await api.call("/api/v1/cameras")) cams.set(c.id, c); render(); };
    stream.on("open", () => load().catch((err) => status.say(`Could not load cameras — ${err.message}`, "bad")));
    stream.on("device", (d) => { if (d.kind === "camera") load().catch(() => {}); });
    stream.on("device_state", (d) => {
      if (d.kind !== "camera" || !cams.has(d.id)) return;
      cams.get(d.id).health = d.state; render();
    });
    stream.on("command", (c) => {
      if (c.action === "add_camera") status.say(`add_camera ${c.args.id}: ${c.stage}${c.message ? " — " + c.message : ""}`);
    });
    return { shown: render, hidden: () => { for (const t of tiles.values()) t.stop(); } };
  },
};
