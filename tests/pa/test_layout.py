"""The demo PA layout of `cityedge up` agrees with what the PA simulator holds."""

from __future__ import annotations

from edge.pa.config import PaSettings
from edge.stack.pa_layout import PA_MESSAGES, PA_ZONES, pa_config_toml
from simulators.pa.store import DEFAULT_MESSAGES


def test_demo_message_library_matches_the_simulator() -> None:
    assert {mid: (name, duration) for mid, name, duration in PA_MESSAGES} == {
        mid: (m.name, m.duration_s) for mid, m in DEFAULT_MESSAGES.items()
    }


def test_demo_pa_section_is_valid() -> None:
    import tomllib

    settings = PaSettings.model_validate(tomllib.loads(pa_config_toml("/dev/ttyUSB0", "tcp://127.0.0.1:7002"))["pa"])
    assert len(settings.zones) == len(PA_ZONES) == 16
    assert settings.zone_groups()["All City"] == frozenset(range(1, 17))
    assert settings.system_test.audible is False and settings.system_test.times
