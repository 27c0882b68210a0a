// REST calls and the live stream, shared by every panel.
export class Api {
  constructor() { this.token = sessionStorage.getItem("cityedge.token"); this.user = JSON.parse(sessionStorage.getItem("cityedge.user") || "null"); }
  get loggedIn() { return Boolean(this.token); }
  async login(username, password) {
    const body = new URLSearchParams({ username, password });
    const r = await fetch("/api/v1/auth/token", { method: "POST", body });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || `login failed (${r.status})`);
    const t = await r.json();
    this.token = t.access_token; this.user = { username: t.username, role: t.role };
    sessionStorage.setItem("cityedge.token", this.token); sessionStorage.setItem("cityedge.user", JSON.stringify(this.user));
  }
  logout() { this.token = null; this.user = null; sessionStorage.clear(); }
  async call(path, opts = {}) {
    const headers = { ...(opts.headers || {}), Authorization: `Bearer ${this.token}` };
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(opts.json); }
    const r = await fetch(path, { ...opts, headers });
    if (r.status === 401) { this.logout(); location.reload(); }
    const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw new Error(typeof data === "object" && data.detail ? JSON.stringify(data.detail) : `${r.status}`);
    return data;
  }
}

export class Stream {
  constructor(api, banner) { this.api = api; this.banner = banner; this.handlers = {}; this.delay = 500; }
  on(type, fn) { (this.handlers[type] ||= []).push(fn); }
  connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/stream?access_token=${encodeURIComponent(this.api.token)}`);
    this.ws = ws;
    ws.onopen = () => { this.banner.hidden = true; this.delay = 500; this.emit("open", {}); };
    ws.onmessage = (m) => { const msg = JSON.parse(m.data); this.emit(msg.type, msg.data); };
    ws.onclose = () => {
      this.banner.hidden = false;
      setTimeout(() => this.connect(), this.delay); this.delay = Math.min(this.delay * 2, 10000);
    };
  }
  emit(type, data) { for (const fn of this.handlers[type] || []) fn(data); for (const fn of this.handlers["*"] || []) fn(type, data); }
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}
