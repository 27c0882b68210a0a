"""Sun times for the City of London from astral (an astronomical clock; no network, no I/O)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from astral import Observer
from astral import sun as astral_sun

from edge.contract.lighting_schedule import CITY_LATITUDE, CITY_LONGITUDE, CITY_TIMEZONE

__all__ = ["CITY_LATITUDE", "CITY_LONGITUDE", "CITY_TIMEZONE", "SunError", "SunEvent", "sun_time"]

SunEvent = Literal["sunset", "sunrise", "civil_dusk", "civil_dawn"]
CIVIL_DEPRESSION = 6.0


class SunError(ValueError):
    """The sun does not reach the asked-for position on that date at that place."""


@lru_cache(maxsize=4096)
def sun_time(event: SunEvent, day: dt.date, latitude: float, longitude: float, timezone: str) -> dt.datetime:
    """When ``event`` happens on local date ``day``, as an aware datetime in ``timezone``."""
    observer = Observer(latitude=latitude, longitude=longitude)
    tz = ZoneInfo(timezone)
    try:
        if event == "sunset":
            return astral_sun.sunset(observer, day, tzinfo=tz)
        if event == "sunrise":
            return astral_sun.sunrise(observer, day, tzinfo=tz)
        if event == "civil_dusk":
            return astral_sun.dusk(observer, day, depression=CIVIL_DEPRESSION, tzinfo=tz)
        return astral_sun.dawn(observer, day, depression=CIVIL_DEPRESSION, tzinfo=tz)
    except ValueError as err:
        raise SunError(f"no {event} on {day} at {latitude:.4f}, {longitude:.4f}: {err}") from err
