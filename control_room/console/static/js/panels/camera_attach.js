import { el } from "../dom.js";

// Engineers attach a camera to an edge node (POST /api/v1/cameras); the password goes to the edge only.
export function attachCameraForm(section, { api }, status) {
  const f = (name, label, type = "text") => {
    const id = `cam-attach-${name}`;
    return el("div", { class: "field" }, el("label", { for: id }, label), el("input", { id, name, type, autocomplete: "off" }));
  };
  const form = el("form", { class: "attach", "aria-label": "Attach a camera" },
    el("div", { class: "row" }, f("node_id", "Node"), f("id", "Camera id"), f("url", "URL (rtsp://, http://, onvif://, file)"),
      f("username", "User"), f("password", "Password", "password"), f("label", "Label"), f("location", "Location")),
    el("button", { type: "submit" }, "Attach camera"));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ""));
    try {
      const r = await api.call("/api/v1/cameras", { method: "POST", json: body });
      status.say(`Attaching ${body.id}: command ${r.command_id.slice(0, 8)} ${r.stage}`, "ok");
      form.password.value = "";
    } catch (err) { status.say(`Attach refused — ${err.message}`, "bad"); }
  };
  section.append(el("details", { class: "attach-box" }, el("summary", {}, "Attach a camera"), form));
}
