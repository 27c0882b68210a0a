// What each role may do — a mirror of control_room/security/roles.py, used only to hide controls a person cannot
// use. The server checks every request itself; this list never grants anything.
const OPERATOR = ["read", "command", "alerts.ack"];
const PERMISSIONS = {
  viewer: ["read"],
  operator: OPERATOR,
  supervisor: [...OPERATOR, "alerts.manage", "approve", "audit.read"],
  engineer: ["read", "command", "devices.manage", "metrics.read"],
  admin: ["read", "command", "alerts.ack", "alerts.manage", "approve", "audit.read", "devices.manage", "metrics.read", "users.manage"],
};

export function can(role, perm) {
  return (PERMISSIONS[role] || []).includes(perm);
}
