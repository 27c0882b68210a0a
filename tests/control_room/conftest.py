"""A control room on a real broker and store, for API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.stack.mosquitto import Mosquitto
from tests.support.stack import ControlRoom


@pytest.fixture
def cr(mosquitto: Mosquitto, tmp_path: Path, database_url: str) -> Iterator[ControlRoom]:
    room = ControlRoom(tmp_path / "cr", mosquitto.url, database_url).start()
    try:
        yield room
    finally:
        room.stop()
