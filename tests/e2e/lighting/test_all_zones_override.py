"""An override of every lighting zone (two-person rule), end to end: nothing changes until a second person with the
supervisor role approves; then every street light and DALI gear goes to the level, each override carrying the
approval; ending it is one action and needs nobody's approval."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from control_room.store.models import AuditRow
from tests.control_room.approval_support import add_people
from tests.e2e.lighting.conftest import SCHEDULED, ZONE_LIGHTS, LitCity

BODY = {"level": 90, "duration_s": 600, "reason": "INC-5 major incident, Bank junction"}


def test_all_zones_override_needs_a_second_person_and_ends_in_one_action(lit_city: LitCity) -> None:
    city = lit_city
    people = add_people(city.cr)
    try:
        r = people["olive"].post("/api/v1/lighting/zones/all/override", json=BODY)
        assert r.status_code == 202, r.text
        assert r.json()["id"] is None and r.json()["state"] == "awaiting_approval"
        approval = r.json()["approval"]
        assert approval["summary"] == (
            "LIVE override of all 4 lighting zones (bank, cheapside, guildhall-yard, millennium-bridge) to 90% for "
            "10 min: 'INC-5 major incident, Bank junction'"
        )
        # the path to the edge is flowing (a test command comes back answered), yet nothing has moved
        probe = people["otto"].post("/api/v1/lighting/zones/bank/level", json={"level": 99, "mode": "test"}).json()
        assert city.command(probe["command_id"])["code"] == "test"
        assert all(city.lights_at(z, 30) for z in SCHEDULED)
        assert all(z["override"] is None for z in city.zones().values())

        assert people["olive"].post(f"/api/v1/approvals/{approval['id']}/approve").status_code == 403
        r = people["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
        assert r.status_code == 200, r.text
        command_ids = r.json()["command_ids"]
        assert len(command_ids) == 4
        details = [city.command(cid) for cid in command_ids]
        assert {d["device_id"] for d in details} == set(ZONE_LIGHTS)
        assert all(d["stage"] == "succeeded" and d["approval"]["approved_by"] == "sam" for d in details), details
        for d in details:
            accepted = [st["message"] for st in d["stages"] if st["stage"] == "accepted"]
            assert accepted[0].startswith("live override, approved by sam"), accepted
        assert all(city.lights_at(z, 90) for z in ZONE_LIGHTS)  # read from the simulators themselves

        def all_overridden() -> dict[str, Any] | None:
            zones = city.zones()
            return zones if all(z["override"] for z in zones.values()) else None

        zones = city.wait(all_overridden, 10, "overrides shown")
        for zone in zones.values():
            held = zone["override"]
            assert held["level"] == 90 and held["issued_by"] == "olive" and held["reason"] == BODY["reason"]
            assert held["approval"]["approved_by"] == "sam" and held["approval"]["requested_by"] == "olive"
        started = city.wait(
            lambda: len(city.events("lighting.override_started")) == 4 and city.events("lighting.override_started"),
            10,
            "override_started events",
        )
        assert {e["data"]["approval"]["request_id"] for e in started} == {approval["id"]}

        # ending it: one zone by hand, then the rest at once; never an approval
        r = people["otto"].delete("/api/v1/lighting/zones/cheapside/override")
        assert r.status_code == 202 and city.command(r.json()["command_id"])["stage"] == "succeeded"
        city.wait(lambda: city.lights_at("cheapside", 30), 10, "cheapside back on its schedule")
        city.wait(lambda: city.zones()["cheapside"]["override"] is None, 10, "cheapside shows no override")
        r = people["otto"].delete("/api/v1/lighting/zones/all/override", params={"approval_id": approval["id"]})
        assert r.status_code == 202, r.text
        assert sorted(r.json()["zones"]) == ["bank", "guildhall-yard", "millennium-bridge"]
        assert all(city.command(c["command_id"])["stage"] == "succeeded" for c in r.json()["commands"])
        city.wait(lambda: all(city.lights_at(z, 30) for z in SCHEDULED), 10, "every scheduled zone back at 30 %")
        city.wait(lambda: all(z["override"] is None for z in city.zones().values()), 10, "no override shown")
        r = people["otto"].delete("/api/v1/lighting/zones/all/override")
        assert r.status_code == 409 and "no zone holds an override" in r.text

        with city.cr.ctx.store.session() as s:
            rows = s.execute(select(AuditRow).where(AuditRow.action.startswith("approval.")).order_by(AuditRow.id))
            steps = [(a.actor, a.action, a.result) for a in rows.scalars()]
        assert steps == [("olive", "approval.request", "pending"), ("sam", "approval.approve", "approved")]
    finally:
        for client in people.values():
            client.close()
