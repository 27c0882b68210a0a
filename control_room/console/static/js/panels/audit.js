import { el, fmtTime, statusLine } from "../dom.js";

// The audit log for supervisors and admins: filter by person, action and time; verify the hash chain; export.
const FIELDS = [["actor", "Person", "text"], ["action", "Action", "text"], ["since", "From", "datetime-local"], ["until", "To", "datetime-local"]];

export default {
  id: "audit", title: "Audit", perm: "audit.read",
  mount(section, { api }) {
    const status = statusLine();
    const inputs = {};
    const fields = FIELDS.map(([name, label, type]) => {
      inputs[name] = el("input", { id: `audit-${name}`, name, type, autocomplete: "off" });
      return el("div", { class: "field" }, el("label", { for: `audit-${name}` }, label), inputs[name]);
    });
    inputs.limit = el("input", { id: "audit-limit", name: "limit", type: "number", min: "1", max: "1000", value: "200", size: "5" });
    const form = el("form", { class: "filters", "aria-label": "Filter the audit log" },
      el("div", { class: "row" }, ...fields, el("div", { class: "field" }, el("label", { for: "audit-limit" }, "Rows"), inputs.limit),
        el("div", { class: "field end" }, el("button", { type: "submit", class: "primary" }, "Search"))));
    const verifyBtn = el("button", { type: "button" }, "Verify the chain");
    const verdict = el("p", { class: "verdict", role: "status" });
    const csv = el("a", { href: "/api/v1/audit/export?format=csv", download: "" }, "Export CSV");
    const json = el("a", { href: "/api/v1/audit/export?format=json", download: "" }, "Export JSON");
    const tbody = el("tbody");
    const head = ["Time", "Person", "Role", "Action", "Target", "Parameters", "Result", "From", "Hash"];
    const table = el("table", { class: "audit", "aria-label": "Audit rows, newest first" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))), tbody);
    section.append(el("h2", {}, "Audit log"), form, el("p", { class: "inline" }, verifyBtn, csv, json), verdict, status.node, el("div", { class: "scroll" }, table));

    const query = () => {
      const q = new URLSearchParams();
      for (const name of ["actor", "action"]) if (inputs[name].value.trim()) q.set(name, inputs[name].value.trim());
      for (const name of ["since", "until"]) if (inputs[name].value) q.set(name, new Date(inputs[name].value).toISOString());
      return q;
    };
    const load = async () => {
      const q = query();
      const exportQ = new URLSearchParams(q);
      exportQ.set("format", "csv"); csv.href = `/api/v1/audit/export?${exportQ}`;
      exportQ.set("format", "json"); json.href = `/api/v1/audit/export?${exportQ}`;
      q.set("limit", inputs.limit.value || "200");
      try {
        const rows = await api.call(`/api/v1/audit?${q}`);
        tbody.replaceChildren(...rows.map((r) => el("tr", { "data-audit": r.id, class: r.result === "ok" ? "" : "row-denied" },
          el("td", {}, fmtTime(r.ts)), el("td", {}, r.actor), el("td", {}, r.role || "—"), el("td", {}, r.action),
          el("td", {}, r.target || "—"), el("td", { class: "params" }, Object.keys(r.params || {}).length ? JSON.stringify(r.params) : "—"),
          el("td", { class: r.result === "ok" ? "ok" : "bad" }, r.result), el("td", {}, r.source_ip || "—"),
          el("td", { title: r.hash }, el("code", {}, String(r.hash || "").slice(0, 10))))));
        status.say(`${rows.length} row(s).`);
      } catch (err) { status.say(`Could not read the audit log — ${err.message}`, "bad"); }
    };
    form.onsubmit = (ev) => { ev.preventDefault(); load(); };
    verifyBtn.addEventListener("click", async () => {
      verdict.textContent = "Checking…"; verdict.className = "verdict";
      try {
        const v = await api.call("/api/v1/audit/verify");
        verdict.textContent = v.ok ? `Chain intact: ${v.rows} rows checked.` :
          `Chain BROKEN at row ${v.first_bad} (${v.rows} rows read)${v.detail ? ` — ${v.detail}` : ""}.`;
        verdict.className = `verdict ${v.ok ? "ok" : "bad"}`;
      } catch (err) { verdict.textContent = `Could not verify — ${err.message}`; verdict.className = "verdict bad"; }
    });
    return { shown: load };
  },
};
