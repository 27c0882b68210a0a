// Small DOM helpers shared by every panel. Text always goes in as text nodes (never as HTML), and no inline style
// attributes are written, so the console runs under a strict Content-Security-Policy (default-src 'self').

// el("button", {type: "button", onclick: fn, class: "x"}, "Label", child, [more]) -> a new element.
// Attributes whose value is null, undefined or false are left out; true gives an empty attribute.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// "14:03:22" today, "3 Mar 14:03" on other days; "—" for nothing.
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString("en-GB") : d.toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// "42 s", "5 min", "3 h" ago.
export function fmtAge(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

// A status line: role=status so screen readers hear outcomes of actions without moving focus.
export function statusLine() {
  const p = el("p", { class: "status-line", role: "status" });
  return { node: p, say(text, kind = "") { p.textContent = text; p.className = `status-line ${kind}`; } };
}

// Runs fn after `ms` of quiet; repeated calls restart the wait (for refetches triggered by bursts of messages).
export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}
