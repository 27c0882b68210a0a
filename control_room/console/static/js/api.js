// REST calls with the console's session: the HttpOnly cookie travels by itself; every state-changing request
// carries the session's CSRF token in X-CSRF-Token. A 401 means the session ended: the app shows the sign-in form.
export { el } from "./dom.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status; this.detail = detail;
  }
}

// Turns FastAPI's 422 detail lists into one readable sentence.
function describe(detail, status) {
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".")}: ${d.msg}`).join("; ");
  if (typeof detail === "string") return detail;
  return `request failed (${status})`;
}

export class Api {
  constructor() {
    this.user = null; this.csrf = null; this.lastRequestAt = 0;
    this.onSessionEnded = () => {};
  }

  get loggedIn() { return Boolean(this.user); }

  remember(session) {
    this.user = { username: session.username, role: session.role };
    this.csrf = session.csrf_token; this.session = session; this.lastRequestAt = Date.now();
  }

  // The session of the cookie, if any (after a page reload). Returns true when signed in.
  async restore() {
    const r = await fetch("/api/v1/auth/session", { credentials: "same-origin" });
    // read every body, even a refusal's: an unread one keeps the request open in the browser
    if (!r.ok) { await r.text().catch(() => ""); return false; }
    this.remember(await r.json());
    return true;
  }

  async login(username, password) {
    const r = await fetch("/api/v1/auth/session", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }),
    });
    const data = await r.json().catch(() => ({}));
    if (r.status === 429) throw new ApiError(429, `${describe(data.detail, 429)}`);
    if (!r.ok) throw new ApiError(r.status, describe(data.detail, r.status));
    this.remember(data);
  }

  async logout() {
    try {
      const r = await fetch("/api/v1/auth/session", { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": this.csrf || "" } });
      await r.text().catch(() => "");
    }
    finally { this.user = null; this.csrf = null; }
  }

  // Keeps the session from going idle while a person is at the desk (called on their key presses and clicks).
  async heartbeat() {
    if (!this.user || Date.now() - this.lastRequestAt < 5 * 60 * 1000) return;
    this.lastRequestAt = Date.now();
    const r = await fetch("/api/v1/auth/session", { credentials: "same-origin" });
    if (r.ok) { this.remember(await r.json()); return; }
    await r.text().catch(() => "");
    if (r.status === 401) this.onSessionEnded("Your session ended. Sign in again.");
  }

  // fetch a JSON API. opts.json is sent as a JSON body. Resolves to the parsed body (with `status` for 202s);
  // rejects with ApiError carrying the server's explanation.
  async call(path, opts = {}) {
    const method = (opts.method || "GET").toUpperCase();
    const headers = { ...(opts.headers || {}) };
    if (UNSAFE.has(method)) headers["X-CSRF-Token"] = this.csrf || "";
    const init = { ...opts, method, headers, credentials: "same-origin" };
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.json); }
    delete init.json;
    const r = await fetch(path, init);
    this.lastRequestAt = Date.now();
    const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
    if (r.status === 401) { this.onSessionEnded("Your session ended. Sign in again."); throw new ApiError(401, "session ended"); }
    if (!r.ok) throw new ApiError(r.status, describe(data && data.detail, r.status));
    if (data && typeof data === "object" && !Array.isArray(data)) Object.defineProperty(data, "httpStatus", { value: r.status });
    return data;
  }
}
