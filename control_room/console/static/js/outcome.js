// What an accepted action means for the operator: sent, or held for a supervisor's approval (two-person rule).
export const AWAITING = "awaiting approval by a supervisor";

export function awaitingApproval(r) {
  return Boolean(r && r.state === "awaiting_approval");
}

// One sentence for the status line of a panel.
export function outcomeText(what, r) {
  if (awaitingApproval(r)) {
    const who = r.approval && r.approval.expires_at ? ` (expires ${new Date(r.approval.expires_at).toLocaleTimeString("en-GB")})` : "";
    return `${what}: ${AWAITING}${who}`;
  }
  const id = r && (r.command_id || r.id);
  return `${what}: sent${id ? ` — ${String(id).slice(0, 8)}` : ""}${r && r.stage ? ` ${r.stage}` : ""}`;
}
