"""The target book: what each zone should be at, from overrides, schedule and manual levels; kept on disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from edge.contract.lighting_schedule import ScheduleConfig
from edge.contract.payloads import Approval
from edge.lighting.overrides import Override
from edge.lighting.persist import JsonDocument
from edge.lighting.targets import TargetBook
from edge.lighting.views import override_view

T0 = dt.datetime(2026, 1, 15, 22, 0, tzinfo=dt.UTC)  # a winter night: after sunset, before midnight
SCHEDULE = ScheduleConfig.model_validate(
    {
        "profiles": {"std": {"steps": [{"at": "sunset", "level": 100}, {"at": "00:00", "level": 60}]}},
        "calendars": {"city": {"default": "std"}},
        "zones": {"a": "city"},
    }
)


def book(tmp_path: Path, schedule: ScheduleConfig | None = SCHEDULE) -> TargetBook:
    return TargetBook(["a", "b"], schedule, JsonDocument(tmp_path / "state.json"))


def incident(zone: str, level: int, minutes: int, oid: str = "inc-1", priority: int = 100) -> Override:
    return Override(
        id=oid,
        zone=zone,
        level=level,
        priority=priority,
        starts_at=T0,
        expires_at=T0 + dt.timedelta(minutes=minutes),
        reason="incident",
    )


def test_precedence_override_then_schedule_then_manual(tmp_path: Path) -> None:
    b = book(tmp_path)
    assert (b.target("a", T0).level, b.target("a", T0).source) == (100, "schedule")
    assert b.target("b", T0) is None  # no schedule, no level asked: left alone
    b.set_manual("b", 40, T0, override_id="m1", issued_by="ann", duration_s=None)
    assert (b.target("b", T0).level, b.target("b", T0).source) == (40, "manual")
    b.add_override(incident("a", 30, 10))
    t = b.target("a", T0 + dt.timedelta(minutes=5))
    assert (t.level, t.source, t.until) == (30, "override", T0 + dt.timedelta(minutes=10))
    assert b.target("a", T0 + dt.timedelta(minutes=10)).source == "schedule"
    assert [o.id for o in b.expire(T0 + dt.timedelta(minutes=10))] == ["inc-1"]


def test_a_manual_level_on_a_scheduled_zone_holds_until_the_next_step(tmp_path: Path) -> None:
    b = book(tmp_path)
    held = b.set_manual("a", 20, T0, override_id="m1", issued_by="ann", duration_s=None)
    assert held is not None and held.kind == "manual" and held.priority == 50
    midnight = dt.datetime(2026, 1, 16, 0, 0, tzinfo=dt.UTC)
    assert held.expires_at == midnight
    assert b.target("a", midnight).level == 60
    # an incident override on top, a newer manual level replaces the older one underneath
    b.add_override(incident("a", 90, 30))
    b.set_manual("a", 25, T0, override_id="m2", issued_by="ann", duration_s=600)
    assert [o.id for o in b.stack("a", T0)] == ["inc-1", "m2"]
    assert b.target("a", T0).level == 90


def test_an_override_on_an_idle_zone_returns_to_the_level_it_had(tmp_path: Path) -> None:
    b = book(tmp_path)
    b.note_level("b", 35)
    b.add_override(incident("b", 100, 1))
    assert b.target("b", T0).level == 100
    assert b.target("b", T0 + dt.timedelta(minutes=1)).level == 35


def test_the_book_survives_a_restart(tmp_path: Path) -> None:
    b = book(tmp_path)
    b.add_override(incident("a", 90, 30))
    b.set_manual("b", 40, T0, override_id="m1", issued_by="ann", duration_s=None)
    remote = SCHEDULE.model_copy(update={"zones": {"a": "city", "b": "city"}})
    b.replace_schedule(remote, "bob", T0)
    again = book(tmp_path)
    assert [o.id for o in again.overrides] == ["inc-1"] and again.manual == {"b": 40}
    assert again.schedule_source == "control_room" and again.updated_by == "bob"
    assert again.schedule is not None and again.schedule.zones == {"a": "city", "b": "city"}


def test_an_edited_config_schedule_wins_over_an_older_remote_one(tmp_path: Path) -> None:
    b = book(tmp_path)
    b.replace_schedule(SCHEDULE.model_copy(update={"zones": {"b": "city"}}), "bob", T0)
    assert book(tmp_path).schedule_source == "control_room"  # same config: the remote one is kept
    edited = SCHEDULE.model_copy(update={"zones": {"a": "city", "b": "city"}})
    again = book(tmp_path, edited)
    assert again.schedule_source == "config" and again.schedule == edited


def test_stored_overrides_of_zones_no_longer_configured_are_dropped(tmp_path: Path) -> None:
    b = book(tmp_path)
    b.add_override(incident("b", 90, 30))
    smaller = TargetBook(["a"], SCHEDULE, JsonDocument(tmp_path / "state.json"))
    assert smaller.overrides == []


def test_an_approved_override_keeps_its_approval_across_a_restart(tmp_path: Path) -> None:
    approval = Approval(request_id="apr-1", requested_by="olive", approved_by="sam", approved_at=T0)
    b = book(tmp_path)
    b.add_override(incident("a", 90, 30).model_copy(update={"approval": approval}))
    b.save()
    again = book(tmp_path)
    (held,) = again.overrides
    assert held.approval == approval
    assert override_view(held).approval == approval and override_view(incident("b", 1, 1)).approval is None
