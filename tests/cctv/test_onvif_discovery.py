"""WS-Discovery against the simulated device: unicast (networks without multicast) and multicast.

Multicast works in this sandbox (eth0 is MULTICAST-capable and loops back to local listeners), so it is tested
for real; the unicast path is tested on its own, with multicast off."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

from camera_support import onvif_camera

from drivers.camera.onvif.discover import discover
from drivers.camera.onvif.discovery import build_probe, build_probe_matches, read_probe, read_probe_matches
from simulators.cameras.faults import Fault


def test_probe_and_match_codec() -> None:
    probe = read_probe(build_probe("urn:uuid:1", "dn:NetworkVideoTransmitter"))
    assert probe is not None and probe.message_id == "urn:uuid:1"
    assert probe.types == ("dn:NetworkVideoTransmitter",)
    data = build_probe_matches(
        message_id="urn:uuid:2",
        relates_to="urn:uuid:1",
        endpoint="urn:uuid:dev",
        types=("dn:NetworkVideoTransmitter",),
        scopes=("onvif://www.onvif.org/name/bridge-cam",),
        xaddrs=("http://10.0.0.5/onvif/device_service",),
    )
    relates, devices = read_probe_matches(data, "10.0.0.5:3702")
    assert relates == "urn:uuid:1"
    assert devices[0].endpoint == "urn:uuid:dev" and devices[0].name == "bridge-cam"
    assert devices[0].xaddrs == ("http://10.0.0.5/onvif/device_service",)
    assert read_probe(b"garbage") is None and read_probe_matches(b"<x/>") == ("", [])


def test_unicast_discovery() -> None:
    name = f"unicast-{uuid.uuid4().hex[:8]}"
    with onvif_camera(name=name, multicast=False) as cam:
        found = asyncio.run(discover(1.0, multicast=False, unicast=[("127.0.0.1", cam.discovery.unicast_port)]))
        assert [d.name for d in found] == [name]
        assert found[0].xaddrs == (cam.device_url,)
        assert found[0].endpoint == cam.endpoint
        cam.faults.set(Fault.DISAPPEAR)
        gone = asyncio.run(discover(0.5, multicast=False, unicast=[("127.0.0.1", cam.discovery.unicast_port)]))
        assert gone == []


def test_multicast_discovery() -> None:
    name = f"multicast-{uuid.uuid4().hex[:8]}"
    with onvif_camera(name=name, multicast=True) as cam:
        found = asyncio.run(discover(1.5, multicast=True))
        ours = [d for d in found if d.name == name]  # other simulators on this host may answer too
        assert len(ours) == 1
        assert ours[0].xaddrs == (cam.device_url,)
        assert cam.discovery.probes_answered >= 1


def test_discover_cli() -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    with onvif_camera(name=name, multicast=False) as cam:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge.cli",
                "cameras",
                "discover",
                "--no-multicast",
                "--timeout",
                "1",
                "--unicast",
                f"127.0.0.1:{cam.discovery.unicast_port}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert name in result.stdout and cam.device_url in result.stdout
    assert "1 device(s)" in result.stdout
