// The live stream (/api/v1/stream, authenticated by the session cookie). On a drop the banner shows and the stream
// reconnects with capped exponential backoff and jitter; every "open" (first and after a drop) tells panels to refetch.
export class Stream {
  constructor(banner, onSessionMaybeEnded) {
    this.banner = banner; this.onSessionMaybeEnded = onSessionMaybeEnded;
    this.handlers = {}; this.delay = 500; this.stopped = false; this.timer = null; this.ping = null;
  }

  on(type, fn) { (this.handlers[type] ||= []).push(fn); }

  connect() {
    if (this.stopped) return;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/api/v1/stream`);
    this.ws = ws;
    ws.onopen = () => {
      this.banner.hidden = true; this.delay = 500;
      document.body.dataset.live = "connected";
      this.ping = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send("ping"); }, 25000);
      this.emit("open", {});
    };
    ws.onmessage = (m) => { const msg = JSON.parse(m.data); this.emit(msg.type, msg.data); };
    ws.onclose = (ev) => {
      clearInterval(this.ping);
      if (this.stopped) return;
      document.body.dataset.live = "lost";
      this.banner.hidden = false;
      this.emit("lost", { code: ev.code });
      if (ev.code === 1008) this.onSessionMaybeEnded();
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, 15000);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }

  stop() {
    this.stopped = true; clearTimeout(this.timer); clearInterval(this.ping);
    if (this.ws) this.ws.close();
  }

  emit(type, data) {
    for (const fn of this.handlers[type] || []) {
      try { fn(data); } catch (err) { console.error(`handler of ${type} failed`, err); }
    }
  }
}
