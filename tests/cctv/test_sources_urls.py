"""Camera source URLs: parsing, credentials kept apart, and redaction of credentials from any text."""

from __future__ import annotations

import logging
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.errors import CameraAuthFailed, InvalidSourceUrl
from drivers.camera.redact import RedactingFilter, redact, register_secret
from drivers.camera.urls import parse_source


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rtsp://admin:12345@10.0.0.5:554/Streaming/Channels/101", "rtsp://***@10.0.0.5:554/Streaming/Channels/101"),
        ("http://user:pw@cam.local/video.mjpg", "http://***@cam.local/video.mjpg"),
        ("https://u:p@cam.example:8443/snap.jpg", "https://***@cam.example:8443/snap.jpg"),
        ("onvif://admin:pass@192.168.1.20:8080", "onvif://***@192.168.1.20:8080"),
        ("rtsps://ops.team:s3cret@h/x", "rtsps://***@h/x"),
        ("rtsp://ops.team@city.gov.uk:p@ss:w0rd@10.0.0.5/s", "rtsp://***@10.0.0.5/s"),
        ("rtsp://ops.team%40city.gov.uk:p%40ss%2Fw@10.0.0.5/s", "rtsp://***@10.0.0.5/s"),
        ("rtsp://admin:pa/ss@host/x", "rtsp://***@host/x"),
        ("RTSP://Admin:X@Host/", "RTSP://***@Host/"),
        ("rtsp://[fe80::1]:554/s", "rtsp://[fe80::1]:554/s"),
        ("rtsp://u:p@[fe80::1]:554/s", "rtsp://***@[fe80::1]:554/s"),
        ("http://cam/snapshot.cgi?user=admin&pwd=hunter22", "http://cam/snapshot.cgi?user=admin&pwd=***"),
        ("http://cam/a?password=x&b=1", "http://cam/a?password=***&b=1"),
    ],
)
def test_redact_url_forms(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_inside_error_strings_and_json() -> None:
    msg = "cannot open 'rtsp://admin:hunter2@10.1.1.1/live' (Connection refused); retry rtsp://a:b@c/d."
    out = redact(msg)
    assert "hunter2" not in out and "a:b" not in out
    assert out == "cannot open 'rtsp://***@10.1.1.1/live' (Connection refused); retry rtsp://***@c/d."
    assert redact('{"url": "http://u:zz@h/v"}') == '{"url": "http://***@h/v"}'


def test_registered_secret_masked_anywhere() -> None:
    register_secret("Corp-Pa55/word!")
    out = redact("auth failed for password Corp-Pa55/word! and Corp-Pa55%2Fword%21 on host x")
    assert "Corp-Pa55" not in out
    assert out.count("***") == 2


def test_camera_errors_redact_their_message() -> None:
    err = CameraAuthFailed("401 from rtsp://admin:topsecret1@cam/x")
    assert "topsecret1" not in str(err)
    assert "rtsp://***@cam/x" in str(err)


def test_logging_filter_redacts_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.redact")
    caplog.handler.addFilter(RedactingFilter())
    try:
        raise RuntimeError("boom at rtsp://u:exc-secret@h/")
    except RuntimeError:
        log.exception("opening %s failed", "rtsp://u:arg-secret@h/")
    text = caplog.text
    assert "arg-secret" not in text and "exc-secret" not in text
    assert "rtsp://***@h/" in text


def test_parse_inline_credentials_with_dots_and_at() -> None:
    src = parse_source("rtsp://ops.team@city.gov.uk:p@ss:w/0rd@10.0.0.5:8554/live/main?x=1")
    assert src.username == "ops.team@city.gov.uk"
    assert src.password is not None and src.password.get_secret_value() == "p@ss:w/0rd"
    assert (src.host, src.port, src.path) == ("10.0.0.5", 8554, "/live/main?x=1")
    assert src.address == "rtsp://10.0.0.5:8554/live/main?x=1"
    assert str(src) == "rtsp://***@10.0.0.5:8554/live/main?x=1"
    assert "p@ss" not in repr(src)
    assert src.for_decoder() == "rtsp://ops.team%40city.gov.uk:p%40ss%3Aw%2F0rd@10.0.0.5:8554/live/main?x=1"


def test_parse_percent_encoded_and_separate_credentials() -> None:
    src = parse_source("http://a%40b:c%25d@cam/v.mjpg")
    assert src.username == "a@b" and src.password is not None and src.password.get_secret_value() == "c%d"
    override = parse_source("http://old:old@cam/v.mjpg", username="new", password="n3w")
    assert override.username == "new" and override.password is not None
    assert override.password.get_secret_value() == "n3w"
    assert parse_source("rtsp://cam").port == 554 and parse_source("onvif://cam").port == 80


def test_parse_files_and_with_address() -> None:
    assert parse_source("/tmp/clip.mp4").is_file
    assert parse_source("file:///tmp/a%20b.mp4").address == "/tmp/a b.mp4"
    onvif = parse_source("onvif://admin:pw12@cam:8080")
    rtsp = onvif.with_address("rtsp://cam:8554/main")
    assert rtsp.for_decoder() == "rtsp://admin:pw12@cam:8554/main"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("ftp://u:secretpw@h/x", "unsupported scheme"),
        ("rtsp://u:secretpw@/x", "no host"),
        ("rtsp://u:secretpw@h:99999/x", "port"),
        ("rtsp://u:secretpw@h:abc/x", "port"),
    ],
)
def test_invalid_urls_name_the_problem_without_the_secret(text: str, problem: str) -> None:
    with pytest.raises(InvalidSourceUrl) as info:
        parse_source(text)
    assert problem in str(info.value)
    assert "secretpw" not in str(info.value)


_CRED = st.text(alphabet=string.ascii_letters + string.digits + "._-@:/!$&'()*+,;=%~ ", min_size=1, max_size=20)


@given(user=_CRED, password=_CRED)
def test_redacting_the_decoder_url_gives_the_shown_url(user: str, password: str) -> None:
    src = parse_source("rtsp://cam.example:8554/live", username=user, password=password)
    assert redact(src.for_decoder()) == str(src) == "rtsp://***@cam.example:8554/live"
    back = parse_source(src.for_decoder())
    assert back.username == user
    assert back.password is not None and back.password.get_secret_value() == password


_RAW = st.text(alphabet=string.ascii_letters + string.digits + "._-@:/!$&*+,;=~", min_size=1, max_size=20)


@given(user=_RAW, password=_RAW, scheme=st.sampled_from(["rtsp", "http", "https", "onvif", "rtsps"]))
def test_redact_raw_inline_credentials(user: str, password: str, scheme: str) -> None:
    text = f"error: {scheme}://{user}:{password}@10.2.3.4:8000/stream failed"
    assert redact(text) == f"error: {scheme}://***@10.2.3.4:8000/stream failed"
