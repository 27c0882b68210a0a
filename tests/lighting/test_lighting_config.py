"""Lighting config: DALI gateways and gear references, schedules in TOML, and errors that name the problem."""

from __future__ import annotations

import pytest

from edge.config import parse_config
from edge.errors import ConfigError
from edge.lighting.settings import GearRef, parse_gear_refs

BASE = {"node": {"id": "e1", "data_dir": "/tmp/e1"}, "mqtt": {"url": "mqtt://127.0.0.1:1884"}}
GATEWAY = {"id": "guildhall", "url": "socket://127.0.0.1:7100", "lines": 2}


def config(lighting: dict) -> object:
    return parse_config({**BASE, "lighting": lighting})


def test_gear_references_expand_to_luminaire_ids() -> None:
    refs = parse_gear_refs(["guildhall/1/3-5", "guildhall/0/63"])
    assert refs == [GearRef("guildhall", 1, s) for s in (3, 4, 5)] + [GearRef("guildhall", 0, 63)]
    assert refs[0].device_id == "guildhall-l1-g03"


@pytest.mark.parametrize(
    ("gear", "problem"),
    [
        (["guildhall/0/64"], "0-63"),
        (["guildhall/0/9-3"], "first <= last"),
        (["guildhall-0-3"], "GATEWAY/LINE/SHORT"),
        (["guildhall/0/1", "guildhall/0/0-2"], "listed twice"),
    ],
)
def test_bad_gear_references_are_named(gear: list[str], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        config({"dali": [GATEWAY], "zones": [{"id": "z", "dali": gear}]})


def test_dali_only_zones_need_no_street_light_broker() -> None:
    cfg = config({"dali": [GATEWAY], "zones": [{"id": "yard", "dali": ["guildhall/0/0-7"]}]})
    assert cfg.lighting is not None and len(cfg.lighting.zones[0].gear) == 8  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("lighting", "problem"),
    [
        ({"zones": [{"id": "z", "dali": ["nowhere/0/1"]}]}, "no DALI gateway 'nowhere'"),
        ({"dali": [GATEWAY], "zones": [{"id": "z", "dali": ["guildhall/2/1"]}]}, "lines 0-1, not 2"),
        (
            {
                "dali": [GATEWAY],
                "zones": [{"id": "a", "dali": ["guildhall/0/1"]}, {"id": "b", "dali": ["guildhall/0/1"]}],
            },
            "in zones a and b",
        ),
        ({"zones": [{"id": "z", "nodes": ["sl-1"]}]}, "street-light nodes need"),
        ({"dali": [{**GATEWAY, "url": "socket://user:pw@host:1"}], "zones": []}, "credentials"),
        (
            {
                "dali": [GATEWAY],
                "zones": [{"id": "z", "dali": ["guildhall/0/1"]}],
                "schedule": {
                    "profiles": {"p": {"steps": [{"at": "sunset", "level": 1}]}},
                    "calendars": {"c": {"default": "p"}},
                    "zones": {"y": "c"},
                },
            },
            "unknown zone",
        ),
    ],
)
def test_bad_lighting_config_is_refused_with_the_reason(lighting: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        config(lighting)
