"""Sun times for the City against published sunrise/sunset times for London, including both clock changes.

Published times are to the minute and for slightly different points in London (Westminster, "London"), with
their own refraction conventions; we compute for Guildhall. A tolerance of two minutes covers that.

Sources (each figure below names its own):
- [DG25] diamond geezer, "Summer Solstice London", 20 June 2025 (table for the Houses of Parliament,
  51.5 N 0.125 W), mirrored at https://news.najib.digital/summer-solstice-london-25494.html
- [DG18] diamond geezer, "Nearer 5pm", 4 November 2018, http://diamondgeezer.blogspot.com/2018/11/nearer-5pm.html
  (sunset 3 Nov 2018 4.31pm, 4 Nov 2018 4.29pm; and, for the next twelve months, the dates sunset is
  "nearer 6pm/8pm/5pm" — which puts the 2019 clock-change sunsets in hour-wide windows)
- [SL24] Secret London, "first 6pm sunset", 12 March 2024, https://secretldn.com/first-6pm-sunset-london/
  (after timeanddate: 5.58pm on 11 March, 6.00pm on 12 March 2024)
- [AB14] "Dark at 9:03am in London", 25 October 2014,
  https://aphrabehn.wordpress.com/2014/10/25/dark-at-903am-in-london-or-why-i-like-the-clock-change/
  (21 Nov 07:29/16:03, 21 Dec 08:03/15:53, 21 Jan 07:53/16:30)
- [LG20] "a day before the clocks change", 24 October 2020,
  https://alifesgayventure.wordpress.com/2020/10/24/a-day-before-the-clocks-change-and-summertime-ends/
  (24 Oct 2020: sunrise 7:41 AM, sunset 5:49 PM BST; the next day, after the change, sunrise "about 6.40am")
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from edge.lighting.astro import CITY_LATITUDE, CITY_LONGITUDE, CITY_TIMEZONE, SunEvent, sun_time

LONDON = ZoneInfo("Europe/London")
TOLERANCE = dt.timedelta(minutes=2)


def city(event: SunEvent, day: str) -> dt.datetime:
    return sun_time(event, dt.date.fromisoformat(day), CITY_LATITUDE, CITY_LONGITUDE, CITY_TIMEZONE)


PUBLISHED = [
    ("DG25", "2025-06-21", "sunrise", "04:42"),
    ("DG25", "2025-06-21", "sunset", "21:22"),
    ("DG25", "2025-06-15", "sunrise", "04:42"),
    ("DG25", "2025-06-26", "sunset", "21:22"),
    ("DG18", "2018-11-03", "sunset", "16:31"),
    ("DG18", "2018-11-04", "sunset", "16:29"),
    ("SL24", "2024-03-11", "sunset", "17:58"),
    ("SL24", "2024-03-12", "sunset", "18:00"),
    ("AB14", "2014-11-21", "sunrise", "07:29"),
    ("AB14", "2014-11-21", "sunset", "16:03"),
    ("AB14", "2014-12-21", "sunrise", "08:03"),
    ("AB14", "2014-12-21", "sunset", "15:53"),
    ("AB14", "2015-01-21", "sunrise", "07:53"),
    ("AB14", "2015-01-21", "sunset", "16:30"),
    ("LG20", "2020-10-24", "sunrise", "07:41"),
    ("LG20", "2020-10-24", "sunset", "17:49"),
]


@pytest.mark.parametrize(("source", "day", "event", "clock"), PUBLISHED)
def test_matches_published_time(source: str, day: str, event: SunEvent, clock: str) -> None:
    published = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(clock), tzinfo=LONDON)
    assert abs(city(event, day) - published) <= TOLERANCE, source


def test_autumn_clock_change_2020_moves_sunrise_an_hour_earlier_on_the_clock() -> None:
    """[LG20]: 07:41 BST on Saturday 24 Oct 2020, "about 6.40am" GMT on Sunday 25 Oct."""
    before, after = city("sunrise", "2020-10-24"), city("sunrise", "2020-10-25")
    assert before.tzname() == "BST" and after.tzname() == "GMT"
    assert abs(after - dt.datetime(2020, 10, 25, 6, 40, tzinfo=LONDON)) <= dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("day", "zone_name", "window"),
    [
        # [DG18]: "nearer 6pm 24 Feb - 30 Mar" then "nearer 8pm 31 Mar - 5 May" (spring 2019: 7pm skipped)
        ("2019-03-30", "GMT", ("17:30", "18:30")),
        ("2019-03-31", "BST", ("19:30", "20:30")),
        # [DG18]: "nearer 6pm 5 Oct - 26 Oct" then "nearer 5pm 27 Oct - 3 Nov" (autumn 2019)
        ("2019-10-26", "BST", ("17:30", "18:30")),
        ("2019-10-27", "GMT", ("16:30", "17:30")),
    ],
)
def test_clock_change_sunsets_fall_in_the_published_hour(day: str, zone_name: str, window: tuple[str, str]) -> None:
    sunset = city("sunset", day)
    assert sunset.tzname() == zone_name
    low, high = (dt.time.fromisoformat(w) for w in window)
    assert low <= sunset.time() < high


def test_civil_twilight_brackets_sunrise_and_sunset() -> None:
    assert city("civil_dawn", "2024-12-21") < city("sunrise", "2024-12-21")
    assert city("sunset", "2024-12-21") < city("civil_dusk", "2024-12-21")
