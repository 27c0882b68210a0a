// The alarm for priority-1 alerts: a two-tone pattern made by a WebAudio oscillator (no audio file), repeated
// while a priority-1 alert is unacknowledged, silenced by the visible mute toggle in the header.
export class Alarm {
  constructor(button) {
    this.button = button; this.muted = false; this.ctx = null; this.sounding = false; this.repeat = null;
    this.pending = () => false;
    button.addEventListener("click", () => this.setMuted(!this.muted));
    // Browsers start audio only after a person interacted with the page.
    const unlock = () => this.unlock();
    addEventListener("pointerdown", unlock, { capture: true });
    addEventListener("keydown", unlock, { capture: true });
    this.unlock(); // right after signing in the page has had a click: audio may start now
  }

  unlock() {
    if (!this.ctx && window.AudioContext) this.ctx = new AudioContext();
    if (this.ctx && this.ctx.state === "suspended") this.ctx.resume();
    this.render();
  }

  get blocked() { return !this.ctx || this.ctx.state !== "running"; }

  setMuted(muted) {
    this.muted = muted;
    if (muted) this.stopRepeat();
    else this.check();
    this.render();
  }

  render() {
    const b = this.button;
    b.textContent = this.muted ? "Alarm sound: muted" : this.blocked && this.sounding ? "Alarm sound: press any key to allow" : "Alarm sound: on";
    b.setAttribute("aria-pressed", String(this.muted));
    b.dataset.sounding = String(this.sounding && !this.muted);
    b.classList.toggle("muted", this.muted);
  }

  // `pending()` says whether an unacknowledged priority-1 alert exists; call check() whenever alerts change.
  check() {
    this.sounding = this.pending();
    if (this.sounding && !this.muted) {
      if (!this.repeat) { this.beep(); this.repeat = setInterval(() => this.beep(), 15000); }
    } else this.stopRepeat();
    this.render();
  }

  stopRepeat() { clearInterval(this.repeat); this.repeat = null; }

  beep() {
    if (this.muted || this.blocked) { this.render(); return; }
    const t0 = this.ctx.currentTime;
    for (let i = 0; i < 3; i++) {
      const osc = this.ctx.createOscillator(); const gain = this.ctx.createGain();
      osc.type = "square"; osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.3);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + i * 0.3 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.3 + 0.25);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(t0 + i * 0.3); osc.stop(t0 + i * 0.3 + 0.26);
    }
    this.button.dataset.beeps = String(Number(this.button.dataset.beeps || 0) + 1);
  }
}
