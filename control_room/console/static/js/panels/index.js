// The console's panels, in tab order: one name per line, each the file js/panels/NAME.js.
// A panel module's default export is
//   { id, title, roles?: ["supervisor", ...], perm?: "audit.read", mount(section, ctx) -> {shown?(), hidden?()} | undefined }
// Adding a panel = writing its file + adding its name here (see docs/console.md). A panel whose module fails to
// load is left out (and logged) instead of taking the whole console down.
const NAMES = [
  "alerts",
  "overview",
  "approvals",
  "pa",
  "lighting",
  "cameras",
  "events",
  "audit",
];

const loaded = await Promise.allSettled(NAMES.map((name) => import(`./${name}.js`)));
export const PANELS = loaded.flatMap((r, i) => {
  if (r.status === "fulfilled") return [r.value.default];
  console.error(`panel ${NAMES[i]} failed to load`, r.reason);
  return [];
});
