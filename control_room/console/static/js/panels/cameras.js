import { el } from "../api.js";

// Cameras: health of every camera, a live view relayed from its edge while the tab shows it, attaching a camera.
const age = (s) => (s === null || s === undefined ? "—" : s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`);

// Reads a multipart/x-mixed-replace JPEG stream with fetch (so the bearer token goes in a header, never in a URL)
// and shows each picture in `img`. Returns a function that stops it.
function playMjpeg(api, path, img, onState) {
  const ctrl = new AbortController();
  (async () => {
    try {
      const r = await fetch(path, { headers: { Authorization: `Bearer ${api.token}` }, signal: ctrl.signal });
      if (!r.ok) throw new Error(`${r.status}`);
      const reader = r.body.getReader();
      let buf = new Uint8Array(0);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const joined = new Uint8Array(buf.length + value.length); joined.set(buf); joined.set(value, buf.length); buf = joined;
        let start, end;
        while ((start = buf.findIndex((b, i) => b === 0xff && buf[i + 1] === 0xd8)) !== -1 &&
               (end = buf.findIndex((b, i) => i > start && b === 0xff && buf[i + 1] === 0xd9)) !== -1) {
          const jpeg = buf.slice(start, end + 2); buf = buf.slice(end + 2);
          const old = img.src; img.src = URL.createObjectURL(new Blob([jpeg], { type: "image/jpeg" }));
          if (old.startsWith("blob:")) URL.revokeObjectURL(old);
          onState("live");
        }
      }
      onState("ended");
    } catch (err) { if (err.name !== "AbortError") onState(`stopped: ${err.message}`); }
  })();
  return () => ctrl.abort();
}

export default {
  id: "cameras", title: "Cameras",
  mount(section, { api, stream, user }) {
    const cams = new Map();
    const status = el("p", { role: "status", class: "muted" });
    const head = ["Camera", "Node", "State", "FPS", "Last frame", "Picture", "Conditions", ""];
    const table = el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))));
    const tbody = el("tbody"); table.append(tbody);
    const viewer = el("figure", { hidden: "" });
    const img = el("img", { alt: "live view", width: "640" });
    const caption = el("figcaption", {});
    let stop = null;
    const close = () => { if (stop) stop(); stop = null; viewer.hidden = true; };
    viewer.append(img, caption, el("button", { type: "button", onclick: close }, "Close live view"));
    const watch = (c) => {
      close(); viewer.hidden = false; caption.textContent = `${c.label} — connecting…`;
      stop = playMjpeg(api, `/api/v1/cameras/${encodeURIComponent(c.id)}/live.mjpeg`, img, (s) => { caption.textContent = `${c.label} — ${s}`; });
    };
    const render = () => {
      tbody.replaceChildren(...[...cams.values()].map((c) => {
        const h = c.health || {};
        const conds = h.conditions || [];
        return el("tr", { "data-camera": c.id },
          el("th", { scope: "row" }, c.label || c.id), el("td", {}, c.node_id), el("td", {}, h.state || "—"),
          el("td", {}, h.fps != null ? h.fps.toFixed(1) : "—"), el("td", {}, age(h.last_frame_age_s)),
          el("td", {}, h.width ? `${h.width}×${h.height} ${h.codec || ""}` : "—"),
          el("td", { class: conds.length ? "warn" : "" }, conds.join(", ") || "none"),
          el("td", {}, c.live ? el("button", { type: "button", onclick: () => watch(c) }, "Watch") : ""));
      }));
    };
    section.append(el("h2", {}, "Cameras"), status, table, viewer);
    // leaving the tab stops the live view: the edge encodes only while someone really watches
    new MutationObserver(() => { if (section.hidden) close(); }).observe(section, { attributes: true, attributeFilter: ["hidden"] });
    if (["engineer", "admin"].includes(user.role)) {
      const f = (name, label, type = "text") => el("label", {}, label, el("input", { name, type, autocomplete: "off" }));
      const form = el("form", { "aria-label": "attach a camera" },
        f("node_id", "Node"), f("id", "Camera id"), f("url", "URL (rtsp://, http://, onvif://, file)"), f("username", "User"),
        f("password", "Password", "password"), f("label", "Label"), f("location", "Location"),
        el("button", { type: "submit" }, "Attach camera"));
      form.onsubmit = async (ev) => {
        ev.preventDefault();
        const body = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ""));
        try {
          const r = await api.call("/api/v1/cameras", { method: "POST", json: body });
          status.textContent = `attaching ${body.id}: command ${r.command_id.slice(0, 8)} ${r.stage}`;
          form.password.value = "";
        } catch (err) { status.textContent = `refused — ${err.message}`; }
      };
      section.append(el("h3", {}, "Attach a camera"), form);
    }
    const load = async () => { cams.clear(); for (const c of await api.call("/api/v1/cameras")) cams.set(c.id, c); render(); };
    stream.on("open", load);
    stream.on("device", (d) => { if (d.kind === "camera") load(); });
    stream.on("device_state", (d) => {
      if (d.kind !== "camera" || !cams.has(d.id)) return;
      cams.get(d.id).health = d.state; render();
    });
    stream.on("command", (c) => {
      if (c.action === "add_camera") status.textContent = `add_camera ${c.args.id}: ${c.stage}${c.message ? " — " + c.message : ""}`;
    });
  },
};
