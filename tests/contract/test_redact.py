"""Secrets are masked in any text or structure before it is logged or returned."""

from __future__ import annotations

import logging

import pytest

from edge.contract.logformat import JsonFormatter
from edge.contract.redact import redact, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("rtsp://admin:hunter2@10.0.0.5:554/stream1", "hunter2"),
        ("rtsp://john.smith@force.police.uk:s3cr%40t@cam.example/x", "s3cr%40t"),
        ("connecting to http://user:pa:ss@host/path failed", "pa:ss"),
        ("mqtts://edge:topsecret@broker:8883", "topsecret"),
        ("url=onvif://a@b@c:d@10.1.1.1/onvif", "c:d"),
        ("password=hunter2 and more", "hunter2"),
        ('{"api_key": "k-123456"}', "k-123456"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig", "eyJhbGciOi"),
    ],
)
def test_text_is_masked(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert "***" in out


def test_usernames_with_dots_and_ats_are_masked_too() -> None:
    assert "john.smith" not in redact_text("rtsp://john.smith@force.police.uk:pw@cam/x")


def test_structures_mask_secret_keys_and_urls() -> None:
    doc = {"password": "x", "nested": {"token": "y", "url": "rtsp://u:p@h/"}, "list": ["http://a:b@c/"], "level": 4}
    out = redact(doc)
    assert out == {
        "password": "***",
        "nested": {"token": "***", "url": "rtsp://***@h/"},
        "list": ["http://***@c/"],
        "level": 4,
    }


def test_plain_urls_are_untouched() -> None:
    assert redact_text("mqtt://127.0.0.1:1883 and rtsp://cam/stream") == "mqtt://127.0.0.1:1883 and rtsp://cam/stream"


def test_log_lines_are_json_and_masked() -> None:
    record = logging.makeLogRecord(
        {"msg": "open %s", "args": ("rtsp://admin:pw123@cam/1",), "levelno": 30, "levelname": "WARNING", "name": "x"}
    )
    line = JsonFormatter("test").format(record)
    assert "pw123" not in line
    assert '"level": "warning"' in line
