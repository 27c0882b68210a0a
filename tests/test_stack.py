"""`cityedge up` as a new user runs it, and the docker-compose file."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
import yaml

from edge.config import load_config
from edge.stack.layout import (
    CameraPorts,
    camera_simulator_args,
    cctv_config_toml,
    dali_simulator_args,
    edge_config_toml,
    simulator_node_args,
)
from edge.stack.ports import free_port
from tests.support.stack import login, wait_until

ROOT = Path(__file__).resolve().parent.parent


def children_of(pid: int) -> set[int]:
    """PIDs whose parent is ``pid`` (from /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]


def start_up(data_dir: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "up", "--data-dir", str(data_dir), "--streetlights", "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env, "CITYEDGE_HTTP_PORT": str(port)},
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        if "Ctrl-C" in line or "cityedge up:" in line:
            break
    return proc, lines


def test_up_runs_the_stack_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CITYEDGE_ADMIN_PASSWORD"}
    proc, lines = start_up(tmp_path / "data", port, env)
    text = "\n".join(lines)
    try:
        assert f"console at http://127.0.0.1:{port}/" in text, text
        password = re.search(r"operator login: admin / (\S+)\s+\(shown once", text)
        assert password, text
        kids = children_of(proc.pid)
        assert len(kids) == 7  # mosquitto, street-light, DALI, camera and PA simulators, control room, edge
        token = login(f"http://127.0.0.1:{port}", "admin", password.group(1))
        headers = {"Authorization": f"Bearer {token}"}

        def zones_reported() -> bool:
            zones = httpx.get(f"http://127.0.0.1:{port}/api/v1/lighting/zones", headers=headers).json()
            return len(zones) == 6 and all(z["online"] for z in zones)

        wait_until(zones_reported, 60, "six zones (four street-light, two DALI) with luminaires online")

        def cameras_streaming() -> dict[str, str]:
            cams = httpx.get(f"http://127.0.0.1:{port}/api/v1/cameras", headers=headers).json()
            states = {c["id"]: (c["health"] or {}).get("state") for c in cams}
            return states if len(states) == 4 and set(states.values()) == {"streaming"} else {}

        cams = wait_until(cameras_streaming, 90, "four cameras streaming (RTSP, MJPEG, ONVIF, file)")
        assert set(cams) == {"london-bridge-cam", "cheapside-cam", "blackfriars-cam", "guildhall-cam"}

        def pa_connected() -> bool:
            systems = httpx.get(f"http://127.0.0.1:{port}/api/v1/pa/systems", headers=headers).json()
            return [s["connection"] for s in systems] == ["connected"]

        wait_until(pa_connected, 60, "the PA controller simulator connected over its pty")
        nodes = httpx.get(f"http://127.0.0.1:{port}/api/v1/nodes", headers=headers).json()
        assert [n["online"] for n in nodes] == [True]
        assert password.group(1) not in (tmp_path / "data" / "logs" / "control-room.log").read_text()
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, rest
    assert "cityedge stopped." in rest
    assert not [k for k in kids if alive(k)]

    # a second start keeps the account and prints no new password
    proc, lines = start_up(tmp_path / "data", port, env)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert "the password shown at first start" in "\n".join(lines)
    assert proc.returncode == 0


def test_up_refuses_a_busy_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc, lines = start_up(tmp_path / "data", port, {"CITYEDGE_ADMIN_PASSWORD": "correct-horse-battery-9"})
        rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1
    assert "control-room exited" in "\n".join(lines) + rest


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="make installs docker-compose; run make test")
def test_docker_compose_file_is_valid() -> None:
    env = {**os.environ, "CITYEDGE_DB_PASSWORD": "x", "CITYEDGE_ADMIN_PASSWORD": "y", "CITYEDGE_CAMERA_PASSWORD": "z"}
    out = subprocess.run(["docker-compose", "config"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    doc = yaml.safe_load(out.stdout)
    assert set(doc["services"]) == {
        "mosquitto",
        "postgres",
        "edge",
        "control-room",
        "simulators",
        "dali-simulator",
        "cameras",
        "pa-simulator",
    }
    assert doc["services"]["control-room"]["environment"]["CITYEDGE_DATABASE_URL"].startswith("postgresql+psycopg://")
    missing = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CITYEDGE_")},
    )
    assert missing.returncode != 0 and "CITYEDGE_DB_PASSWORD" in missing.stderr


def test_compose_configs_match_the_demo_layout(tmp_path: Path) -> None:
    compose_edge = load_config(ROOT / "edge" / "stack" / "compose" / "edge.toml")
    generated = tmp_path / "edge.toml"
    generated.write_text(
        edge_config_toml("edge-city-1", "/x", "mqtt://mosquitto:1883", 120, "socket://dali-simulator:7100")
    )
    up_edge = load_config(generated)
    assert compose_edge.lighting and up_edge.lighting
    assert [(z.id, z.nodes, z.dali) for z in compose_edge.lighting.zones] == [
        (z.id, z.nodes, z.dali) for z in up_edge.lighting.zones
    ]
    assert compose_edge.lighting.dali == up_edge.lighting.dali
    assert compose_edge.lighting.schedule == up_edge.lighting.schedule
    assert compose_edge.pa is not None
    generated.write_text(
        edge_config_toml("edge-city-1", "/x", "mqtt://mosquitto:1883", 120, pa=("/dev/x", "tcp://h:1"))
    )
    up_pa = load_config(generated).pa
    assert up_pa is not None
    same = {"url", "line_output"}
    assert compose_edge.pa.model_dump(exclude=same) == up_pa.model_dump(exclude=same)
    assert compose_edge.pa.url == "socket://pa-simulator:7001"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["simulators"]["command"]
    assert command[command.index("--nodes") :] == simulator_node_args(120)
    dali = compose["services"]["dali-simulator"]["command"]
    assert dali[dali.index("simulators") + 1 :] == dali_simulator_args("0.0.0.0:7100")
    # the cameras: the compose edge config points at the compose camera simulator, as `cityedge up`'s does at its
    assert compose_edge.cctv and up_cameras(tmp_path)
    ports = CameraPorts(8554, 8081, 8080, 8555)
    clip = "/var/lib/cityedge/clips/guildhall.mp4"
    expected = load_toml_cctv(cctv_config_toml("cameras", ports, clip, "0.0.0.0:5570", "tcp://edge:5570"))
    assert compose_edge.cctv == expected
    cameras = compose["services"]["cameras"]["command"]
    assert cameras[cameras.index("--host") :] == camera_simulator_args("0.0.0.0", ports, clip)


def load_toml_cctv(text: str) -> object:
    """The [cctv] section of a config fragment, validated."""
    from edge.config import CctvSettings

    return CctvSettings.model_validate(tomllib.loads(text)["cctv"])


def up_cameras(tmp_path: Path) -> bool:
    """`cityedge up`'s four cameras: one of each source kind."""
    cctv = load_toml_cctv(cctv_config_toml("127.0.0.1", CameraPorts(1, 2, 3, 4), str(tmp_path / "c.mp4")))
    kinds = sorted(c.url.split("://")[0] if "://" in c.url else "file" for c in cctv.cameras)  # type: ignore[attr-defined]
    return kinds == ["file", "http", "onvif", "rtsp"]
