"""Zone schedules: dimming profiles across nights and clock changes, calendars with exceptions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from edge.lighting.astro import CITY_LATITUDE, CITY_LONGITUDE, CITY_TIMEZONE, sun_time
from edge.lighting.schedule import ScheduleError, level_at, next_change, night_steps
from edge.lighting.schedule_model import ScheduleConfig

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """A London local time, e.g. '2024-12-21 16:00'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


def sun(event: str, day: str) -> dt.datetime:
    return sun_time(event, dt.date.fromisoformat(day), CITY_LATITUDE, CITY_LONGITUDE, CITY_TIMEZONE)  # type: ignore[arg-type]


CONFIG = ScheduleConfig.model_validate(
    {
        "profiles": {
            "standard": {
                "steps": [
                    {"at": "sunset", "level": 100},
                    {"at": "00:00", "level": 60},
                    {"at": "sunrise", "level": 0},
                ]
            },
            "late": {
                "steps": [
                    {"at": "sunset", "offset_min": 15, "level": 100},
                    {"at": "01:30", "level": 50},
                    {"at": "civil_dawn", "offset_min": -10, "level": 0},
                ]
            },
            "all_night": {"steps": [{"at": "civil_dusk", "level": 100}, {"at": "sunrise", "level": 0}]},
        },
        "calendars": {
            "city": {
                "default": "standard",
                "weekdays": {"fri": "late", "sat": "late"},
                "exceptions": [
                    {"start": "2024-12-31", "every_year": True, "profile": "all_night", "reason": "New Year's Eve"},
                    {"start": "2024-11-09", "end": "2024-11-10", "profile": "all_night", "reason": "Lord Mayor's Show"},
                ],
            }
        },
        "zones": {"cheapside": "city", "bridge": "city"},
    }
)


def test_standard_night_in_winter() -> None:
    # Saturday 21 Dec 2024 uses "late"; Thursday 19 Dec is a standard night
    sunset, sunrise = sun("sunset", "2024-12-19"), sun("sunrise", "2024-12-20")
    assert level_at(CONFIG, "cheapside", sunset - dt.timedelta(minutes=1)).level == 0
    assert level_at(CONFIG, "cheapside", sunset).level == 100
    assert level_at(CONFIG, "cheapside", at("2024-12-19 23:59")).level == 100
    assert level_at(CONFIG, "cheapside", at("2024-12-20 00:00")).level == 60
    assert level_at(CONFIG, "cheapside", sunrise - dt.timedelta(seconds=1)).level == 60
    assert level_at(CONFIG, "cheapside", sunrise).level == 0
    assert level_at(CONFIG, "cheapside", at("2024-12-20 12:00")).level == 0


def test_what_the_level_is_and_what_comes_next() -> None:
    now = at("2024-12-19 20:00")
    scheduled = level_at(CONFIG, "cheapside", now)
    assert (scheduled.level, scheduled.profile, scheduled.step) == (100, "standard", "sunset")
    assert scheduled.since == sun("sunset", "2024-12-19")
    assert scheduled.next_change == at("2024-12-20 00:00")
    assert next_change(CONFIG, "cheapside", at("2024-12-20 03:00")) == sun("sunrise", "2024-12-20")


def test_weekday_profile_with_offsets() -> None:
    friday = "2024-12-20"
    assert level_at(CONFIG, "bridge", sun("sunset", friday) + dt.timedelta(minutes=14)).level == 0
    assert level_at(CONFIG, "bridge", sun("sunset", friday) + dt.timedelta(minutes=15)).level == 100
    assert level_at(CONFIG, "bridge", at("2024-12-21 01:29")).level == 100
    assert level_at(CONFIG, "bridge", at("2024-12-21 01:30")).level == 50
    dawn = sun("civil_dawn", "2024-12-21")
    assert level_at(CONFIG, "bridge", dawn - dt.timedelta(minutes=11)).level == 50
    assert level_at(CONFIG, "bridge", dawn - dt.timedelta(minutes=10)).level == 0


def test_exceptions_win_over_weekdays_and_repeat_every_year() -> None:
    # 31 Dec 2025 is a Wednesday; the every-year exception applies
    assert level_at(CONFIG, "cheapside", at("2026-01-01 03:00")).level == 100
    assert level_at(CONFIG, "cheapside", at("2026-01-01 03:00")).profile == "all_night"
    # Saturday 9 Nov 2024 would be "late": the Lord Mayor's Show keeps it at 100 % all night
    assert level_at(CONFIG, "cheapside", at("2024-11-10 02:00")).level == 100
    assert level_at(CONFIG, "cheapside", at("2024-11-12 02:00")).level == 60


def test_spring_clock_change_night() -> None:
    """Saturday 30 Mar 2024 ("late"): clocks go 01:00 GMT -> 02:00 BST; 01:30 does not exist on the clock."""
    steps = night_steps(CONFIG, "city", dt.date(2024, 3, 30))
    assert steps[1].at == dt.datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # 01:30 GMT, shown as 02:30 BST
    assert level_at(CONFIG, "bridge", dt.datetime(2024, 3, 31, 1, 29, tzinfo=UTC)).level == 100
    assert level_at(CONFIG, "bridge", at("2024-03-31 02:30")).level == 50
    assert level_at(CONFIG, "bridge", sun("civil_dawn", "2024-03-31")).level == 0
    assert sun("sunrise", "2024-03-31").tzname() == "BST"


def test_autumn_clock_change_night() -> None:
    """Saturday 26 Oct 2024 ("late"): 01:00-01:59 happens twice; the step takes the first (BST) 01:30."""
    steps = night_steps(CONFIG, "city", dt.date(2024, 10, 26))
    assert steps[1].at == dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert level_at(CONFIG, "bridge", dt.datetime(2024, 10, 27, 0, 29, tzinfo=UTC)).level == 100
    assert level_at(CONFIG, "bridge", dt.datetime(2024, 10, 27, 1, 10, tzinfo=UTC)).level == 50  # 01:10 GMT
    # Sunday night is a standard night: midnight is 00:00 GMT
    assert level_at(CONFIG, "cheapside", dt.datetime(2024, 10, 28, 0, 0, tzinfo=UTC)).level == 60


def test_summer_step_before_sunset_is_clamped_to_it() -> None:
    config = ScheduleConfig.model_validate(
        {
            "profiles": {"p": {"steps": [{"at": "sunset", "level": 100}, {"at": "20:00", "level": 40}]}},
            "calendars": {"c": {"default": "p"}},
            "zones": {"z": "c"},
        }
    )
    # in June, 20:00 comes before sunset: the 40 % step takes effect at sunset, after the 100 % step
    sunset = sun("sunset", "2024-06-21")
    assert level_at(config, "z", sunset - dt.timedelta(minutes=1)).level == 40  # the previous night's last step
    assert level_at(config, "z", sunset).level == 40


def test_unknown_zone_and_naive_time_are_refused() -> None:
    with pytest.raises(ScheduleError, match="zone 'nowhere' has no schedule"):
        level_at(CONFIG, "nowhere", at("2024-12-19 20:00"))
    with pytest.raises(ScheduleError, match="no time zone"):
        level_at(CONFIG, "cheapside", dt.datetime(2024, 12, 19, 20, 0))


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"profiles": {"p": {"steps": [{"at": "25:00", "level": 1}]}}}, "neither one of"),
        ({"profiles": {"p": {"steps": [{"at": "sunset", "level": 101}]}}}, "less than or equal to 100"),
        ({"calendars": {"c": {"default": "missing"}}}, "unknown profile"),
        ({"zones": {"z": "nope"}}, "unknown calendar"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_configuration_is_named(patch: dict[str, object], needle: str) -> None:
    base: dict[str, object] = {
        "profiles": {"p": {"steps": [{"at": "sunset", "level": 100}]}},
        "calendars": {"c": {"default": "p"}},
        "zones": {"z": "c"},
    }
    with pytest.raises(ValidationError, match=needle):
        ScheduleConfig.model_validate(base | patch)
