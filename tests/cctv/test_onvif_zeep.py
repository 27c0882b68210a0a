"""The simulated ONVIF device with a third-party client as the caller: onvif-zeep (zeep over the official
ONVIF WSDLs, WS-UsernameToken digest). What zeep parses out of our answers is what a real VMS would see."""

from __future__ import annotations

import logging

import onvif
import pytest
from camera_support import PASSWORD, USER, onvif_camera

from drivers.camera.capture import Capture
from drivers.camera.urls import parse_source


@pytest.fixture(autouse=True)
def _quiet_zeep() -> None:
    logging.getLogger("zeep").setLevel(logging.WARNING)


def test_onvif_zeep_attach_sequence() -> None:
    with onvif_camera(name="zeep-cam") as cam:
        camera = onvif.ONVIFCamera(cam.host, cam.port, USER, PASSWORD)  # GetCapabilities inside
        info = camera.devicemgmt.GetDeviceInformation()
        assert (info.Manufacturer, info.Model, info.SerialNumber) == ("cityedge", "SIM-ONVIF-1", "zeep-cam")
        services = camera.devicemgmt.GetServices({"IncludeCapability": False})
        assert {s.Namespace for s in services} >= {"http://www.onvif.org/ver10/media/wsdl"}
        media = camera.create_media_service()
        profiles = media.GetProfiles()
        assert [p.token for p in profiles] == ["main", "sub"]
        encoder = profiles[0].VideoEncoderConfiguration
        assert (encoder.Encoding, encoder.Resolution.Width, encoder.Resolution.Height) == ("H264", 320, 240)
        assert encoder.RateControl.FrameRateLimit == 25
        setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        uri = media.GetStreamUri({"StreamSetup": setup, "ProfileToken": "main"}).Uri
        snapshot = media.GetSnapshotUri({"ProfileToken": "sub"}).Uri
        assert uri == cam.rtsp.url("/main")
        assert snapshot.endswith("/onvif/snapshot?profile=sub")
        # and the URI zeep got plays through our capture layer
        with Capture(parse_source(uri, username=USER, password=PASSWORD)) as capture:
            assert capture.read().shape == (240, 320, 3)


def test_onvif_zeep_with_wrong_password_is_refused() -> None:
    with onvif_camera() as cam, pytest.raises(onvif.exceptions.ONVIFError, match="not authorized"):
        camera = onvif.ONVIFCamera(cam.host, cam.port, USER, "wrong")
        camera.create_media_service().GetProfiles()
