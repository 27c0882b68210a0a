"""The [pa] section of the edge config: bad settings are refused with the key and the reason."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from edge.config import parse_config
from edge.errors import ConfigError
from edge.pa.config import PaSettings

ROOT = Path(__file__).resolve().parents[2]


def base(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "url": "socket://127.0.0.1:7001",
        "line_output": "tcp://127.0.0.1:7002",
        "zones": [{"number": 1, "name": "North"}, {"number": 2, "name": "South"}],
        "messages": [{"id": 1, "name": "Evacuate", "duration_s": 8}],
    }
    doc.update(extra)
    return doc


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"zones": [{"number": 1, "name": "A"}, {"number": 1, "name": "B"}]}, "zone numbers must be unique"),
        ({"zones": [{"number": 33, "name": "A"}]}, "less than or equal to 32"),
        ({"groups": {"Bridges": [1, 3]}}, "group 'Bridges' names unknown zones [3]"),
        ({"groups": {"Empty": []}}, "group 'Empty' is empty"),
        ({"amplifiers": {1: [1, 9]}}, "amplifier 1 feeds unknown zones [9]"),
        ({"messages": [{"id": 1, "name": "a", "duration_s": 1}, {"id": 1, "name": "b", "duration_s": 1}]}, "unique"),
        ({"baudrate": 115200}, "less than or equal to 19200"),
        ({"volume": 11}, "Extra inputs"),
        (
            {"schedules": [{"id": "s", "group": "Nowhere", "message_id": 1, "times": ["08:00"]}]},
            "schedule 's' names unknown group 'Nowhere'",
        ),
        (
            {"schedules": [{"id": "s", "zones": [1], "message_id": 9, "times": ["08:00"]}]},
            "schedule 's' plays message 9",
        ),
        ({"system_test": {"audible": True, "message_id": 7}}, "system_test plays message 7"),
    ],
)
def test_bad_pa_settings_are_refused(extra: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        PaSettings.model_validate(base(**extra))


def test_edge_config_error_names_the_pa_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"node": {"id": "n", "data_dir": "/tmp/n"}, "mqtt": {"url": "mqtt://h:1"}, "pa": base(baudrate=7)})
    assert "pa.baudrate" in str(err.value)


def test_documented_example_is_valid() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    section = text[text.index("[pa]") : text.index("[cctv]")]
    settings = PaSettings.model_validate(tomllib.loads(section)["pa"])
    assert settings.zone_groups()["All City"] == frozenset({1, 2})
    assert settings.schedules[0].id == "bridge-lift"
