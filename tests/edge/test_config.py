"""Edge config validation: clear errors that name the bad key; secrets from env or file."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import SecretRef, load_config, parse_config
from edge.errors import ConfigError

GOOD = """
[node]
id = "edge-1"
data_dir = "/tmp/edge-1"

[mqtt]
url = "mqtt://127.0.0.1:1884"

[lighting.streetlights]
url = "mqtt://127.0.0.1:1884"

[[lighting.zones]]
id = "cheapside"
group = "cheapside"
nodes = ["sl-0001..sl-0040"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edge.toml"
    path.write_text(text)
    return path


def test_good_config_loads_and_expands_ranges(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.node.id == "edge-1"
    assert cfg.lighting is not None
    zone = cfg.lighting.zones[0]
    assert len(zone.nodes) == 40 and zone.nodes[0] == "sl-0001" and zone.nodes[-1] == "sl-0040"
    assert cfg.outbox.inflight == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "edge-1"', 'id = "edge-1"\ncolour = "red"'), "node.colour: Extra inputs are not permitted"),
        (('url = "mqtt://127.0.0.1:1884"\n\n[lighting', 'url = "http://x"\n\n[lighting'), "mqtt.url"),
        (
            ('url = "mqtt://127.0.0.1:1884"\n\n[lighting', 'url = "mqtt://u:p@h:1"\n\n[lighting'),
            "must not carry credentials",
        ),
        (('nodes = ["sl-0001..sl-0040"]', 'nodes = ["sl-0040..sl-0001"]'), "runs backwards"),
        (('id = "cheapside"', 'id = "bad id"'), "lighting.zones.0.id"),
        (('[mqtt]\nurl = "mqtt://127.0.0.1:1884"\n', ""), "mqtt: Field required"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_config(write(tmp_path, GOOD.replace(*change, 1)))


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[node\nid="))
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.toml")


def test_duplicate_zone_ids(tmp_path: Path) -> None:
    twice = GOOD + '\n[[lighting.zones]]\nid = "cheapside"\nnodes = ["sl-9"]\n'
    with pytest.raises(ConfigError, match="zone ids must be unique: cheapside"):
        load_config(write(tmp_path, twice))


def test_secret_from_env_and_file_never_in_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_MQTT_PW", "hunter2")
    assert SecretRef(env="EDGE_MQTT_PW").resolve().get_secret_value() == "hunter2"
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n")
    assert SecretRef(file=secret_file).resolve().get_secret_value() == "from-file"
    with pytest.raises(ConfigError, match="NOPE is not set"):
        SecretRef(env="NOPE").resolve()
    with pytest.raises(ValueError, match="exactly one"):
        SecretRef(env="A", file=secret_file)
    cfg = parse_config(
        {
            "node": {"id": "e", "data_dir": "/tmp"},
            "mqtt": {"url": "mqtt://h:1", "username": "u", "password": {"env": "EDGE_MQTT_PW"}},
        }
    )
    assert "hunter2" not in repr(cfg)
