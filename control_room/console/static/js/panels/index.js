// Every console panel, in tab order. A panel is a module exporting {id, title, roles?, mount(section, ctx)}.
import overview from "./overview.js";
import lighting from "./lighting.js";
import alerts from "./alerts.js";
import events from "./events.js";
import cameras from "./cameras.js";

export const PANELS = [overview, alerts, lighting, cameras, events];
