"""Scheduled announcements and the system test: recurrence maths (pure), and firing against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from edge.pa.errors import PaRejected
from edge.pa.model import State
from edge.pa.schedule import Job, Recurrence, Scheduler, next_fire
from edge.pa.schedule_model import ScheduleSettings, SystemTestSettings
from edge.pa.scheduled import PaScheduling
from edge.pa.systest import SystemTest
from simulators.pa import PaControllerSimulator
from tests.pa.audio_check import calls_by_id
from tests.pa.conftest import run, until
from tests.pa.engine_env import engine_for


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rec", "after", "expected"),
    [
        (Recurrence(at=utc(2025, 6, 1, 9)), utc(2025, 6, 1, 8), utc(2025, 6, 1, 9)),
        (Recurrence(at=utc(2025, 6, 1, 9)), utc(2025, 6, 1, 9), None),  # strictly after
        (Recurrence(every_s=3600, start=utc(2025, 6, 1)), utc(2025, 5, 1), utc(2025, 6, 1)),
        (Recurrence(every_s=3600, start=utc(2025, 6, 1)), utc(2025, 6, 1, 1, 30), utc(2025, 6, 1, 2)),
        (Recurrence(every_s=3600, start=utc(2025, 6, 1)), utc(2025, 6, 1, 2), utc(2025, 6, 1, 3)),
        (
            Recurrence(every_s=3600, start=utc(2025, 6, 1), until=utc(2025, 6, 1, 2)),
            utc(2025, 6, 1, 2),
            None,
        ),
        # 08:00 London in summer (BST) is 07:00 UTC; in winter 08:00 UTC
        (Recurrence(times=(time(8),)), utc(2025, 6, 2, 6), utc(2025, 6, 2, 7)),
        (Recurrence(times=(time(8),)), utc(2025, 12, 2, 6), utc(2025, 12, 2, 8)),
        # across the spring clock change (Sunday 30 March 2025)
        (Recurrence(times=(time(8),)), utc(2025, 3, 29, 9), utc(2025, 3, 30, 7)),
        # weekdays only: Friday 6 June 2025 after 08:00 → Monday 9 June
        (Recurrence(times=(time(8),), weekdays=frozenset(range(5))), utc(2025, 6, 6, 8), utc(2025, 6, 9, 7)),
        (Recurrence(times=(time(17), time(8))), utc(2025, 6, 2, 8), utc(2025, 6, 2, 16)),
        (Recurrence(times=(time(8),), timezone="UTC"), utc(2025, 6, 2, 8), utc(2025, 6, 3, 8)),
    ],
)
def test_next_fire(rec: Recurrence, after: datetime, expected: datetime | None) -> None:
    assert next_fire(rec, after) == expected


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"id": "x", "zones": [1], "message_id": 1}, "exactly one of 'at', 'times' or 'every_s'"),
        ({"id": "x", "zones": [1], "group": "All City", "message_id": 1, "times": ["08:00"]}, "'zones' or 'group'"),
        ({"id": "x", "zones": [1], "times": ["08:00"]}, "'message_id' or 'text'"),
        ({"id": "x", "zones": [1], "message_id": 1, "every_s": 600}, "'every_s' needs 'start'"),
        ({"id": "x", "zones": [1], "message_id": 1, "times": ["08:00"], "weekdays": [7]}, "weekdays"),
        ({"id": "x", "zones": [1], "message_id": 1, "times": ["08:00"], "colour": "red"}, "Extra inputs"),
    ],
)
def test_schedule_settings_name_the_problem(doc: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ScheduleSettings.model_validate(doc)


def test_scheduler_fires_due_jobs_once() -> None:
    async def body() -> list[str]:
        fired: list[str] = []
        soon = datetime.now(UTC) + timedelta(milliseconds=200)
        sched = Scheduler(
            [
                Job("soon", Recurrence(at=soon), lambda job, due: fired.append(job)),
                Job("later", Recurrence(at=soon + timedelta(days=1)), lambda job, due: fired.append(job)),
            ]
        )
        sched.start()
        try:
            assert [j for j, _ in sched.upcoming()] == ["soon", "later"]
            await until(lambda: fired == ["soon"], what="the due job")
            assert [j for j, _ in sched.upcoming()] == ["later"]
        finally:
            await sched.stop()
        return fired

    assert run(body()) == ["soon"]


def test_scheduled_announcement_plays(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        results: list[tuple[str, dict[str, Any]]] = []
        at = (datetime.now(UTC) + timedelta(milliseconds=300)).isoformat()
        schedules = [
            ScheduleSettings.model_validate({"id": "bridge-lift", "group": "Bridges", "message_id": 0x10, "at": at}),
            ScheduleSettings.model_validate({"id": "nowhere", "zones": [99], "message_id": 0x10, "at": at}),
        ]
        async with engine_for(tcp_sim) as (eng, _):
            scheduling = PaScheduling(eng, schedules, None, lambda job, r: results.append((job, r)))
            scheduling.start()
            try:
                await until(lambda: len(results) == 2, what="both schedules fired")
                by_job = dict(results)
                assert by_job["nowhere"]["result"] == "refused" and "not configured" in by_job["nowhere"]["reason"]
                ann_id = by_job["bridge-lift"]["announcement_id"]
                final = await eng.wait(ann_id, 20)
                assert final.state is State.COMPLETED and final.origin == "schedule:bridge-lift"
                assert sorted(final.zones) == [2, 4]
            finally:
                await scheduling.stop()

    run(body())


def test_system_test_is_quiet_and_rate_limited(tcp_sim: PaControllerSimulator, tmp_path: Path) -> None:
    state = tmp_path / "systest.json"

    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _):
            quiet = SystemTest(eng, SystemTestSettings(min_interval_s=3600), state)
            report = await quiet.run()
            assert report["audible"] is False and report["result"] == "passed" and report["mode"] == "N"
            with pytest.raises(PaRejected) as err:
                await quiet.run()
            assert err.value.code == "too_soon" and "at most once every 1 h" in err.value.sentence
            # the rule survives a restart of the edge
            again = SystemTest(eng, SystemTestSettings(min_interval_s=3600), state)
            with pytest.raises(PaRejected):
                await again.run()
            later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
            tcp_sim.inject_fault("LINE_SHORT", "Z05")
            await until(lambda: any(f.active for f in eng.faults()), what="fault reported")
            report = await again.run(now=later)
            assert report["result"] == "faults" and report["zones_in_fault"] == [5]
            assert report["active_faults"] == ["LINE_SHORT at Z05"]

    run(body())
    assert calls_by_id(tcp_sim.recordings) == {}  # quiet: nothing was played


def test_audible_system_test_plays_the_test_message(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _):
            settings = SystemTestSettings(audible=True, message_id=0x12, zones=[7, 8], min_interval_s=60)
            report = await SystemTest(eng, settings, None).run()
            final = await eng.wait(report["announcement_id"], 20)
            assert final.state is State.COMPLETED and final.origin == "system-test" and final.priority == 16

    run(body())
    (call,) = calls_by_id(tcp_sim.recordings).values()
    assert call["zones_heard"] == [7, 8] and call["messages"] == ["12"] and call["chime"] == 0


def test_bad_system_test_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="needs 'message_id'"):
        SystemTestSettings(audible=True)
    with pytest.raises(ValueError):
        SystemTestSettings(min_interval_s=1)
