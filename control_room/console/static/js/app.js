// The console shell: sign-in, then a tab per panel allowed for the account's role, the live stream, the alarm.
import { Api } from "./api.js";
import { Stream } from "./stream.js";
import { Alarm } from "./sound.js";
import { announcer } from "./announcer.js";
import { can } from "./perms.js";
import { el } from "./dom.js";
import { PANELS } from "./panels/index.js";

const api = new Api();
const $ = (id) => document.getElementById(id);
const announce = announcer($("live-polite"), $("live-assertive"));
let ending = false;

function sessionEnded(message) {
  if (ending) return;
  ending = true;
  sessionStorage.setItem("cityedge.notice", message);
  location.reload();
}
api.onSessionEnded = sessionEnded;

function showLogin() {
  $("login").hidden = false; $("nav").hidden = true; $("who").hidden = true;
  const notice = sessionStorage.getItem("cityedge.notice");
  sessionStorage.removeItem("cityedge.notice");
  $("login-notice").textContent = notice || "";
  $("username").focus();
  $("login-form").onsubmit = async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    $("login-submit").disabled = true;
    try {
      await api.login($("username").value, $("password").value);
      $("password").value = "";
      startConsole();
    } catch (err) {
      $("login-error").textContent = err.message;
    } finally { $("login-submit").disabled = false; }
  };
}

// Allowed for this role? A panel may name `roles` (a list) and/or `perm` (a permission of perms.js).
function allowedPanel(panel, role) {
  return (!panel.roles || panel.roles.includes(role)) && (!panel.perm || can(role, panel.perm));
}

function startConsole() {
  const user = api.user;
  $("login").hidden = true; $("who").hidden = false; $("nav").hidden = false;
  $("who-name").textContent = user.username; $("who-role").textContent = user.role;
  $("logout").onclick = async () => { await api.logout(); sessionStorage.setItem("cityedge.notice", "Signed out."); location.reload(); };
  const alarm = new Alarm($("mute"));
  const stream = new Stream($("conn-banner"), async () => {
    const r = await fetch("/api/v1/auth/session", { credentials: "same-origin" });
    await r.text().catch(() => "");
    if (r.status === 401) sessionEnded("Your session ended. Sign in again.");
  });
  for (const type of ["pointerdown", "keydown"]) addEventListener(type, () => api.heartbeat(), { passive: true });

  const tabs = $("tabs"), root = $("panels");
  const entries = [];
  for (const panel of PANELS.filter((p) => allowedPanel(p, user.role))) {
    const section = el("section", { id: `panel-${panel.id}`, class: "card panel", role: "tabpanel", "aria-labelledby": `tab-${panel.id}`, tabindex: "-1", hidden: true });
    const label = el("span", {}, panel.title);
    const badge = el("span", { class: "tab-badge" });
    const tab = el("button", { id: `tab-${panel.id}`, type: "button", role: "tab", "aria-controls": section.id, "aria-selected": "false", tabindex: "-1" }, label, badge);
    tabs.append(tab); root.append(section);
    const entry = { panel, section, tab, hooks: null };
    const ctx = {
      api, stream, user, announce, alarm,
      can: (perm) => can(user.role, perm),
      badge: (text) => { badge.textContent = text ? ` ${text}` : ""; },
      isShown: () => !section.hidden && !document.hidden,
    };
    entries.push(entry);
    try { entry.hooks = panel.mount(section, ctx) || null; }
    catch (err) { section.append(el("p", { class: "error" }, `This panel failed to start: ${err.message}`)); console.error(err); }
  }

  let current = null;
  const select = (entry, focusTab = false) => {
    if (current === entry) return;
    if (current) {
      current.section.hidden = true; current.tab.setAttribute("aria-selected", "false"); current.tab.tabIndex = -1;
      current.hooks?.hidden?.();
    }
    current = entry;
    entry.section.hidden = false; entry.tab.setAttribute("aria-selected", "true"); entry.tab.tabIndex = 0;
    if (focusTab) entry.tab.focus();
    history.replaceState(null, "", `#${entry.panel.id}`);
    entry.hooks?.shown?.();
  };
  entries.forEach((entry) => entry.tab.addEventListener("click", () => select(entry)));
  tabs.addEventListener("keydown", (ev) => {
    const focused = entries.findIndex((e) => e.tab === document.activeElement);
    const i = focused >= 0 ? focused : entries.indexOf(current);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: entries.length - 1 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    select(entries[(to + entries.length) % entries.length], true);
  });
  document.addEventListener("visibilitychange", () => {
    if (!current) return;
    if (document.hidden) current.hooks?.hidden?.(); else current.hooks?.shown?.();
  });
  const wanted = entries.find((e) => `#${e.panel.id}` === location.hash) || entries[0];
  if (wanted) select(wanted);
  stream.connect();
}

(async () => {
  let restored = false;
  try { restored = await api.restore(); } catch { restored = false; }
  if (restored) startConsole(); else showLogin();
})();
