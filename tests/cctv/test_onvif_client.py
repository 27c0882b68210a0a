"""Our ONVIF client against the simulated device: the attach sequence, both authentication methods, clock skew,
refused credentials and a device that is not there; plus the WS-Security codec on its own."""

from __future__ import annotations

import asyncio
import base64
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from camera_support import PASSWORD, USER, onvif_camera, secret_forms

from drivers.camera.capture import Capture
from drivers.camera.errors import CameraAuthFailed, CameraUnreachable, OnvifFault
from drivers.camera.onvif import messages as msg
from drivers.camera.onvif.client import OnvifClient, device_service_url
from drivers.camera.onvif.soap import envelope, read_envelope
from drivers.camera.onvif.wsse import (
    PASSWORD_DIGEST,
    format_created,
    password_digest,
    read_username_token,
    security_header,
    verify_username_token,
)
from drivers.camera.onvif.xml import XmlError, safe_parse
from drivers.camera.urls import parse_source


def test_password_digest_known_vector() -> None:
    # Base64(SHA1(nonce + created + password)) computed independently with hashlib
    import hashlib

    nonce, created = b"0123456789abcdef", "2024-01-02T03:04:05.000Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"pass").digest()).decode()
    assert password_digest(nonce, created, "pass") == expected


def test_username_token_round_trip_and_freshness() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    header_xml = security_header(USER, PASSWORD, now, nonce=b"n" * 16)
    header, _ = read_envelope(envelope("<tds:GetProfiles/>", header_xml))
    token = read_username_token(header)
    assert token is not None and token.password_type == PASSWORD_DIGEST and token.created == format_created(now)
    assert PASSWORD not in header_xml
    assert verify_username_token(token, USER, PASSWORD, now + timedelta(minutes=4))
    assert not verify_username_token(token, USER, PASSWORD, now + timedelta(minutes=6))  # stale
    assert not verify_username_token(token, USER, "other", now)
    assert not verify_username_token(token, "someone", PASSWORD, now)


def test_xml_with_entities_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbb">]><a>&b;</a>'
    with pytest.raises(XmlError, match="DOCTYPE"):
        safe_parse(bomb)
    with pytest.raises(XmlError, match="well-formed"):
        safe_parse(b"<a><b></a>")


def test_device_service_url_forms() -> None:
    assert device_service_url("onvif://cam:8080") == "http://cam:8080/onvif/device_service"
    assert device_service_url("onvif://u:p@cam") == "http://cam:80/onvif/device_service"
    assert device_service_url("http://cam:81/onvif/device_service") == "http://cam:81/onvif/device_service"
    with pytest.raises(ValueError, match="onvif://host:port"):
        device_service_url("rtsp://cam/x")


def test_describe_with_usernametoken_and_skewed_device_clock() -> None:
    with onvif_camera(clock_offset_s=3 * 3600) as cam:

        async def go() -> None:
            async with OnvifClient(cam.onvif_url, USER, PASSWORD) as client:
                described = await client.describe()
            assert described.auth == "wsse"
            assert abs(described.clock_offset_s - 3 * 3600) < 5  # signed with the device's clock, so accepted
            assert described.information.model == "SIM-ONVIF-1"
            assert [s.profile.token for s in described.streams] == ["main", "sub"]
            main = described.streams[0]
            assert (main.profile.width, main.profile.height, main.profile.encoding) == (320, 240, "H264")
            assert main.stream_uri == cam.rtsp.url("/main")
            assert main.snapshot_uri and main.snapshot_uri.startswith(f"http://{cam.host}:{cam.port}/onvif/snapshot")
            # the stream URI carries no credentials: cityedge adds the ONVIF ones to open it
            source = parse_source(cam.onvif_url, username=USER, password=PASSWORD).with_address(main.stream_uri)
            with Capture(source) as capture:
                assert capture.read().shape == (240, 320, 3)
            # the snapshot URI answers with HTTP digest
            async with httpx.AsyncClient() as http:
                reply = await http.get(main.snapshot_uri, auth=httpx.DigestAuth(USER, PASSWORD))
            assert reply.status_code == 200 and reply.content[:2] == b"\xff\xd8"

        asyncio.run(go())
    assert cam.requests[:2] == ["GetSystemDateAndTime", "GetServices"]


def test_skewed_clock_without_sync_is_refused() -> None:
    """The device really checks Created: a client that signs with its own clock is turned away."""
    with onvif_camera(clock_offset_s=3 * 3600) as cam:

        async def go() -> None:
            async with OnvifClient(cam.onvif_url, USER, PASSWORD, auth="wsse") as client:
                with pytest.raises(CameraAuthFailed):
                    await client.service_addresses()

        asyncio.run(go())


def test_http_digest_device() -> None:
    with onvif_camera(auth_modes=("digest",)) as cam:

        async def go() -> None:
            async with OnvifClient(cam.onvif_url, USER, PASSWORD) as client:
                described = await client.describe()
            assert described.auth == "digest"
            assert len(described.streams) == 2

        asyncio.run(go())


def test_wrong_password_and_replayed_nonce() -> None:
    with onvif_camera() as cam:

        async def go() -> None:
            async with OnvifClient(cam.onvif_url, USER, "wrong-" + PASSWORD) as client:
                with pytest.raises(CameraAuthFailed) as info:
                    await client.describe()
            assert all(s not in str(info.value) for s in secret_forms("wrong-" + PASSWORD))
            # the same signed request sent twice: the second is a replay and is refused
            header = security_header(USER, PASSWORD, datetime.now(UTC))
            body = envelope(msg.get_profiles()[1], header)
            async with httpx.AsyncClient() as http:
                first = await http.post(cam.media_url, content=body)
                second = await http.post(cam.media_url, content=body)
            assert first.status_code == 200
            assert second.status_code == 400 and b"NotAuthorized" in second.content

        asyncio.run(go())


def test_unsupported_operation_is_a_fault() -> None:
    with onvif_camera() as cam:

        async def go() -> None:
            async with OnvifClient(cam.onvif_url, USER, PASSWORD) as client:
                await client.sync_clock()
                with pytest.raises(OnvifFault) as info:
                    await client.call(cam.device_url, (msg.action(msg.DEVICE, "GetHostname"), "<tds:GetHostname/>"))
            assert info.value.code == "ter:ActionNotSupported"

        asyncio.run(go())


def test_no_device_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def go() -> None:
        async with OnvifClient(f"onvif://127.0.0.1:{port}", USER, PASSWORD, timeout_s=2) as client:
            with pytest.raises(CameraUnreachable):
                await client.describe()

    asyncio.run(go())
