"""The console in a real headless Chromium: sign in, a simulated lamp fault arrives live and is acknowledged from
the list (by button and by keyboard), the supervisor finds the acknowledgement in the audit view, the banner shows
while the control room is down and goes when it is back, CSRF refuses a forged request, and accessibility checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import paho.mqtt.publish as mqtt_publish
import pytest

from edge.contract import topics
from tests.e2e.console.conftest import OPERATOR, SUPERVISOR, TIMEOUT_MS, ConsoleCity, Shots, sign_in
from tests.support.stack import ADMIN_PASSWORD, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def _alert_row(page: Page, device: str) -> Any:
    return page.locator("#panel-alerts li.alert").filter(has_text=device)


def test_operator_acknowledges_a_lamp_fault_and_the_supervisor_audits_it(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    from playwright.sync_api import expect

    city = console_city
    operator = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    errors: list[str] = []
    operator.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(operator, city.cr.url, *OPERATOR)
    expect(operator.locator("#tab-alerts")).to_have_attribute("aria-selected", "true")
    # the operator's tabs: no audit, no approvals
    assert operator.locator("#tab-audit").count() == 0 and operator.locator("#tab-approvals").count() == 0
    shots(operator, "operator signed in")

    city.fleet.inject("sl-06", "fault", code="LAMP_FAILURE")
    row = _alert_row(operator, "sl-06")
    expect(row).to_be_visible(timeout=TIMEOUT_MS)
    expect(row.locator(".prio")).to_have_text("P3 Medium")  # words, not colour alone
    expect(row.locator(".state")).to_have_text("New")
    expect(row.locator(".escalated")).to_be_hidden()
    expect(row.locator("form.note-form")).to_be_hidden()
    expect(row).to_contain_text("lamp failure on street light sl-06")
    expect(operator.locator("#live-polite")).to_contain_text("New priority 3", timeout=TIMEOUT_MS)
    expect(operator.locator("#tab-alerts")).to_contain_text("1 new")
    shots(operator, "lamp fault arrived")

    row.get_by_role("button", name="Acknowledge").click()
    expect(row.locator(".state")).to_contain_text("Acknowledged", timeout=TIMEOUT_MS)
    expect(row.get_by_role("button", name="Acknowledge")).to_be_hidden()
    # the condition is still present: close is offered but disabled, and says why
    expect(row.get_by_role("button", name="Close")).to_be_disabled()
    expect(row).to_contain_text("Condition still present")
    shots(operator, "acknowledged by button")

    # a second fault, acknowledged with the keyboard alone: focus the alert, press A
    city.fleet.inject("sl-07", "fault", code="LAMP_FAILURE")
    second = _alert_row(operator, "sl-07")
    expect(second.locator(".state")).to_have_text("New", timeout=TIMEOUT_MS)
    second.focus()
    operator.keyboard.press("a")
    expect(second.locator(".state")).to_contain_text("Acknowledged", timeout=TIMEOUT_MS)
    shots(operator, "acknowledged by keyboard")
    # N opens the note form on the focused alert; the note shows in the alert's details
    second.focus()
    operator.keyboard.press("n")
    expect(second.get_by_label("Note for alert")).to_be_focused()
    operator.keyboard.type("Lamp crew booked for 14:00")
    second.get_by_role("button", name="Save note").click()
    expect(second.locator("form.note-form")).to_be_hidden(timeout=TIMEOUT_MS)
    second.get_by_role("button", name="Details").click()
    expect(second.locator(".alert-detail .notes")).to_contain_text("Lamp crew booked for 14:00", timeout=TIMEOUT_MS)
    expect(second.locator(".alert-detail .timeline")).to_contain_text("acknowledged")
    shots(operator, "note added")
    with city.client() as http:
        by_device = {a["device_id"]: a for a in http.get("/api/v1/alerts").json()}
        assert by_device["sl-06"]["state"] == by_device["sl-07"]["state"] == "acknowledged"
        assert by_device["sl-06"]["acknowledged_by"] == OPERATOR[0]
    assert errors == []

    supervisor = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in(supervisor, city.cr.url, *SUPERVISOR)
    expect(supervisor.locator("#tab-approvals")).to_be_visible()
    supervisor.locator("#tab-audit").click()
    panel = supervisor.locator("#panel-audit")
    panel.get_by_label("Person").fill(OPERATOR[0])
    panel.get_by_role("button", name="Search").click()
    ack_rows = panel.locator("tbody tr").filter(has_text="alert.ack")
    expect(ack_rows).to_have_count(2, timeout=TIMEOUT_MS)
    expect(ack_rows.first).to_contain_text(OPERATOR[0])
    panel.get_by_role("button", name="Verify the chain").click()
    expect(panel.locator(".verdict")).to_contain_text("Chain intact", timeout=TIMEOUT_MS)
    csv = panel.get_by_role("link", name="Export CSV")
    assert "actor=olivia" in (csv.get_attribute("href") or "")
    shots(supervisor, "supervisor sees the acknowledgement in the audit")


def test_banner_while_the_control_room_is_down_and_refetch_on_reconnect(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    from playwright.sync_api import expect

    city = console_city
    page = browser.new_page()
    sign_in(page, city.cr.url, *OPERATOR)
    banner = page.locator("#conn-banner")
    expect(banner).to_be_hidden()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/api/v1/alerts" in r.url else None)

    city.stop_control_room()
    expect(banner).to_be_visible(timeout=TIMEOUT_MS)
    expect(banner).to_have_text("Live updates lost — reconnecting…")
    shots(page, "stream cut")
    # something happens while the console is blind: it must show up after the reconnect
    city.fleet.inject("sl-03", "fault", code="LAMP_FAILURE")
    before = len(fetched)
    city.start_control_room()
    expect(banner).to_be_hidden(timeout=60_000)
    expect(_alert_row(page, "sl-03")).to_be_visible(timeout=TIMEOUT_MS)
    assert len(fetched) > before  # the alerts were fetched again on reconnect
    # the session survived the restart: no sign-in form
    expect(page.locator("#login")).to_be_hidden()
    shots(page, "reconnected")


def test_csrf_refuses_a_state_changing_request_without_the_token(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    city = console_city
    page = browser.new_page()
    sign_in(page, city.cr.url, *OPERATOR)
    forged = page.evaluate(
        """async () => {
            const r = await fetch('/api/v1/pa/all-clear',
                {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'});
            return {status: r.status, body: await r.json()};
        }"""
    )
    assert forged == {"status": 403, "body": {"detail": "CSRF token missing or wrong"}}
    honest = page.evaluate(
        """async () => {
            const s = await (await fetch('/api/v1/auth/session')).json();
            const r = await fetch('/api/v1/pa/all-clear', {method: 'POST', body: '{}',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}});
            return {status: r.status, body: await r.json()};
        }"""
    )
    # past the CSRF check: refused only because no PA system exists in this city
    assert honest["status"] == 404 and "no PA system" in honest["body"]["detail"]
    # the session cookie is out of reach of page scripts
    assert "cityedge_session" not in page.evaluate("document.cookie")
    shots(page, "after csrf checks")


def test_priority_one_alert_sounds_until_muted_or_acknowledged(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    """A critical alert published as an edge would (retained on its device's alert topic)."""
    from playwright.sync_api import expect

    city = console_city
    page = browser.new_page()
    sign_in(page, city.cr.url, *OPERATOR)
    alarm = page.locator("#mute")
    expect(alarm).to_have_attribute("data-sounding", "false")
    payload = {
        "alert_id": "controller_unreachable",
        "type": "pa_controller_unreachable",
        "severity": "critical",
        "message": "PA controller at Guildhall does not answer",
        "raised_at": datetime.now(UTC).isoformat(),
        "location": "Guildhall",
    }
    topic = topics.device_alert("edge-1", "pa-guildhall", "controller_unreachable")
    mqtt_publish.single(topic, json.dumps(payload), qos=1, retain=True, hostname="127.0.0.1", port=city.broker.port)
    row = _alert_row(page, "PA controller at Guildhall")
    expect(row.locator(".prio")).to_have_text("P1 Critical", timeout=TIMEOUT_MS)
    expect(alarm).to_have_attribute("data-sounding", "true")
    expect(page.locator("#live-assertive")).to_contain_text("New priority 1")
    page.wait_for_function("Number(document.getElementById('mute').dataset.beeps || 0) >= 1", timeout=TIMEOUT_MS)
    shots(page, "priority 1 sounding")
    alarm.click()
    expect(alarm).to_have_text("Alarm sound: muted")
    expect(alarm).to_have_attribute("aria-pressed", "true")
    expect(alarm).to_have_attribute("data-sounding", "false")
    alarm.click()
    expect(alarm).to_have_attribute("data-sounding", "true")
    row.get_by_role("button", name="Acknowledge").click()
    expect(alarm).to_have_attribute("data-sounding", "false", timeout=TIMEOUT_MS)
    shots(page, "acknowledged, alarm quiet")
    mqtt_publish.single(topic, b"", qos=1, retain=True, hostname="127.0.0.1", port=city.broker.port)


# --- accessibility -------------------------------------------------------------------------------------------------

CONTRAST_JS = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (css) => { const m = css.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1}; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c.rgb;
    }
    return parse(getComputedStyle(document.body).backgroundColor).rgb;
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    const fg = parse(st.color).rgb, bg = bgOf(el);
    const r = ratio(fg, bg);
    if (r < 4.5) bad.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${r.toFixed(2)}`);
  }
  return bad;
}
"""

PALETTE_JS = """
(pairs) => {
  const root = getComputedStyle(document.documentElement);
  const hex = (name) => { const v = root.getPropertyValue(name).trim(); const n = parseInt(v.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255]; };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return pairs.map(([fg, bg]) => { const [a, b] = [lum(hex(fg)), lum(hex(bg))].sort((p, q) => q - p);
    return [fg, bg, (a + 0.05) / (b + 0.05)]; });
}
"""

TEXT_ON_BACKGROUNDS = (
    [
        (fg, bg)
        for fg in ("--text", "--muted", "--accent", "--ok", "--warn", "--bad", "--test")
        for bg in ("--bg", "--panel", "--raised")
    ]
    + [
        ("--text", "--button"),
        ("--text", "--button-hover"),
        ("--text", "--danger"),
        ("--muted", "--raised"),
    ]
    + [
        ("--on-fill", fill)
        for fill in (
            "--p1",
            "--p2",
            "--p3",
            "--p4",
            "--p5",
            "--test",
            "--warn",
            "--bad",
            "--accent",
            "--text",
            "--focus",
        )
    ]
)

UNNAMED_JS = """
() => {
  const name = (el) => (el.getAttribute('aria-label') || '').trim() ||
    (el.getAttribute('aria-labelledby') || '').split(' ')
      .map((id) => document.getElementById(id)?.textContent || '').join('').trim() ||
    (el.labels ? [...el.labels].map((l) => l.textContent).join('').trim() : '') ||
    (el.textContent || '').trim() || (el.alt || '');
  const unnamed = [];
  const controls = 'button, a[href], input:not([type=hidden]), select, textarea, [role=tab]';
  for (const el of document.querySelectorAll(controls)) {
    if (!el.checkVisibility()) continue;
    if (!name(el)) unnamed.push(el.outerHTML.slice(0, 120));
  }
  return unnamed;
}
"""


def test_accessibility_names_contrast_keyboard_and_no_inline_styles(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    from playwright.sync_api import expect

    city = console_city
    city.fleet.inject("sl-02", "fault", code="LAMP_FAILURE")
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    sign_in(page, city.cr.url, "admin", ADMIN_PASSWORD)
    expect(_alert_row(page, "sl-02")).to_be_visible(timeout=TIMEOUT_MS)

    ratios = page.evaluate(PALETTE_JS, TEXT_ON_BACKGROUNDS)
    low = [(fg, bg, round(r, 2)) for fg, bg, r in ratios if r < 4.5]
    assert not low, f"palette pairs below WCAG AA 4.5:1: {low}"

    tabs = page.locator("[role=tab]")
    names = [tabs.nth(i).get_attribute("id") for i in range(tabs.count())]
    assert names == [f"tab-{p}" for p in ("alerts", "overview", "pa", "lighting", "cameras", "events", "audit")]
    for tab_id in names:
        page.locator(f"#{tab_id}").click()
        panel = page.locator(f"#{(tab_id or '').replace('tab-', 'panel-')}")
        expect(panel).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNNAMED_JS) == [], f"controls without an accessible name on {tab_id}"
        assert page.evaluate(CONTRAST_JS) == [], f"text below 4.5:1 on {tab_id}"
        styled = page.evaluate(
            "[...document.querySelectorAll('[style]')].filter((e) => e.getAttribute('style').trim())"
            ".map((e) => e.outerHTML.slice(0, 80))"
        )
        assert styled == [], "inline style attributes"
        shots(page, f"panel {tab_id}")

    # keyboard: the skip link comes first and is visible when focused; arrow keys move between tabs
    page.reload()  # the session cookie carries over: straight back into the console
    expect(page.locator("body")).to_have_attribute("data-live", "connected", timeout=TIMEOUT_MS)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["width"] > 0
    page.locator("#tab-alerts").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-overview")).to_be_focused()
    expect(page.locator("#tab-overview")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-overview")).to_be_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focus ring not visible"
    # the page works on a laptop-sized and a phone-sized screen too (no horizontal scrolling of the page)
    for width in (1280, 600):
        page.set_viewport_size({"width": width, "height": 800})
        page.locator("#tab-alerts").click()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), width
        shots(page, f"alerts at {width} px")
    # every script and stylesheet comes from this server (no CDN), none inline
    assert page.evaluate("[...document.scripts].every((s) => s.src.startsWith(location.origin))")
    assert page.evaluate("[...document.querySelectorAll('style')].length") == 0
    assert page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].every((l) => l.href.startsWith(location.origin))"
    )


def test_all_zones_override_waits_for_a_supervisor_who_approves_it_in_the_console(
    console_city: ConsoleCity, browser: Browser, shots: Shots
) -> None:
    from playwright.sync_api import expect

    city = console_city
    operator = browser.new_page()
    sign_in(operator, city.cr.url, *OPERATOR)
    operator.locator("#tab-lighting").click()
    panel = operator.locator("#panel-lighting")
    panel.get_by_label("Level %").fill("80")
    panel.get_by_label("Reason / incident ref").fill("INC-9 city-wide search")
    panel.get_by_role("button", name="Request override of all zones").click()
    expect(panel.locator("p[role=status]")).to_contain_text("awaiting approval by a supervisor", timeout=TIMEOUT_MS)
    shots(operator, "operator request awaiting approval")

    supervisor = browser.new_page()
    sign_in(supervisor, city.cr.url, *SUPERVISOR)
    supervisor.locator("#tab-approvals").click()
    request = supervisor.locator("#panel-approvals li.approval")
    expect(request).to_have_count(1, timeout=TIMEOUT_MS)
    expect(request).to_contain_text(OPERATOR[0])
    expect(supervisor.locator("#tab-approvals")).to_contain_text("(1)")
    shots(supervisor, "supervisor sees the request")
    request.get_by_role("button", name="Approve").click()
    expect(request).to_have_count(0, timeout=TIMEOUT_MS)
    expect(supervisor.locator("#panel-approvals .decided")).to_contain_text(f"approved by {SUPERVISOR[0]}")
    wait_until(
        lambda: all(city.fleet.nodes[f"sl-0{i}"].level == 80 for i in range(1, 9)),
        30,
        "every street light at 80 % after the approval",
    )
    shots(supervisor, "approved")
