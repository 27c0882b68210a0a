import { Api, Stream } from "./api.js";
import { PANELS } from "./panels/index.js";

const api = new Api();
const $ = (id) => document.getElementById(id);

function showLogin() {
  $("login").hidden = false; $("tabs").hidden = true; $("who").hidden = true;
  $("login-form").onsubmit = async (ev) => {
    ev.preventDefault();
    try { await api.login($("username").value, $("password").value); location.reload(); }
    catch (err) { $("login-error").textContent = err.message; }
  };
}

function showConsole() {
  $("login").hidden = true; $("who").hidden = false; $("tabs").hidden = false;
  $("who-name").textContent = api.user.username; $("who-role").textContent = api.user.role;
  $("logout").onclick = () => { api.logout(); location.reload(); };
  const stream = new Stream(api, $("conn-banner"));
  const ctx = { api, stream, user: api.user };
  const tabs = $("tabs"), root = $("panels");
  const visible = PANELS.filter((p) => !p.roles || p.roles.includes(api.user.role));
  visible.forEach((panel, i) => {
    const section = document.createElement("section");
    section.id = `panel-${panel.id}`; section.className = "card"; section.setAttribute("aria-labelledby", `tab-${panel.id}`);
    section.hidden = i !== 0; root.append(section);
    const tab = document.createElement("button");
    tab.id = `tab-${panel.id}`; tab.textContent = panel.title; tab.setAttribute("role", "tab");
    tab.setAttribute("aria-selected", String(i === 0));
    tab.onclick = () => {
      for (const b of tabs.children) b.setAttribute("aria-selected", String(b === tab));
      for (const s of root.children) s.hidden = s !== section;
    };
    tabs.append(tab);
    panel.mount(section, ctx);
  });
  stream.connect();
}

if (api.loggedIn) showConsole(); else showLogin();
