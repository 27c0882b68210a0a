"""The console's lighting panel in Debian's chromium: an operator overrides a zone with a duration and a reason,
sees the override and the faulty luminaires, and ends the override."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.lighting.conftest import LitCity
from tests.support.stack import ADMIN_PASSWORD

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup)")
def test_operator_overrides_a_zone_from_the_console(lit_city: LitCity, artifacts_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    city = lit_city
    city.fleet.inject("sl-06", "fault", code="LAMP_FAILURE")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(city.cr.url)
            page.fill("#username", "admin")
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.click("#tab-lighting")
            panel = page.locator("#panel-lighting")
            row = panel.locator('tr[data-zone="cheapside"]')
            expect(row).to_contain_text("schedule", timeout=20_000)
            controls = panel.locator('tr[data-zone-controls="cheapside"]')
            controls.get_by_label("level for cheapside").fill("85")
            controls.get_by_label("override minutes for cheapside").fill("10")
            controls.get_by_label("override reason for cheapside").fill("INC-77 search on Cheapside")
            controls.get_by_role("button", name="Override").click()
            expect(row).to_contain_text("INC-77 search on Cheapside", timeout=20_000)
            expect(row).to_contain_text("override")
            city.wait(lambda: city.lights_at("cheapside", 85), 20, "street lights at 85 % from the console")
            expect(panel.locator('tr[data-luminaire="sl-06"]')).to_contain_text("LAMP_FAILURE", timeout=20_000)
            page.screenshot(path=str(artifacts_dir / "lighting-panel.png"), full_page=True)
            controls.get_by_role("button", name="End override").click()
            expect(row.locator("td").nth(4)).to_have_text("none", timeout=20_000)
            city.wait(lambda: city.lights_at("cheapside", 30), 20, "back on schedule")
            # an override without a reason is not sent
            controls.get_by_label("override reason for cheapside").fill("")
            controls.get_by_role("button", name="Override").click()
            expect(panel.locator("p[role=status]")).to_contain_text("needs a reason")
        finally:
            browser.close()
