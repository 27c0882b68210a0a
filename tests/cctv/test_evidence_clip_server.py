"""The edge's clip server and the control room's client: only a clip's own files, bad requests answered."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
from recorder_support import T0, feed, recorder

from control_room.clip_client import ClipClient, ClipUnavailable
from edge.contract.clips import ClipInfo
from edge.video.clip_server import ClipServer
from edge.video.recorder_config import RecorderConfig
from simulators.scenes import make_scene


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ClipServer, ClipInfo]]:
    done = threading.Event()
    infos: list[ClipInfo] = []
    rec = recorder(tmp_path, RecorderConfig(pre_s=1.0, post_s=1.0), on_clip=lambda i: (infos.append(i), done.set()))
    try:
        feed(rec, make_scene("bridge", 320, 180), 0.0, 2.0, fps=10.0)
        rec.trigger(T0 + 1.5, {"type": "x"}, b"\xff\xd8 event snapshot")
        feed(rec, make_scene("bridge", 320, 180), 2.0, 3.0, fps=10.0)
        assert done.wait(60)
    finally:
        rec.close()
    server = ClipServer(rec.store)
    server.start()
    try:
        yield server, infos[0]
    finally:
        server.stop()


def test_the_client_fetches_exactly_the_recorded_bytes(served: tuple[ClipServer, ClipInfo]) -> None:
    server, info = served
    client = ClipClient(server.endpoint)
    assert client.info(info.clip_id) == info
    mp4 = client.fetch(info.clip_id, "clip.mp4", 10**9)
    assert mp4 == server.store.mp4(info).read_bytes()
    assert b"".join(client.chunks(info.clip_id, "clip.mp4", 10, 20)) == mp4[10:20]
    assert client.fetch(info.clip_id, "snapshots/event-1.jpg", 1000) == b"\xff\xd8 event snapshot"
    with pytest.raises(ClipUnavailable, match="more than the 10 B allowed"):
        client.fetch(info.clip_id, "clip.mp4", 10)


@pytest.mark.parametrize("name", ["clip.json", "../cam1", "snapshots/../clip.json", "/etc/passwd", "snapshots/x.jpg"])
def test_only_the_files_a_clip_lists_are_served(served: tuple[ClipServer, ClipInfo], name: str) -> None:
    server, info = served
    with pytest.raises(ClipUnavailable, match=re.escape(f"has no file {name!r}")):
        ClipClient(server.endpoint).read(info.clip_id, name)


def test_unknown_clips_and_malformed_requests_get_an_answer(served: tuple[ClipServer, ClipInfo]) -> None:
    server, _ = served
    with pytest.raises(ClipUnavailable, match="no clip 01a20707-7903-772b-a318-412b1593c812"):
        ClipClient(server.endpoint).info("01a20707-7903-772b-a318-412b1593c812")
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(server.endpoint)
    try:
        sock.send(b'{"op": "delete", "clip_id": "../../x"}')
        assert sock.poll(10_000)
        reply = sock.recv_multipart()
    finally:
        sock.close()
    assert b'"ok":false' in reply[0] and b"bad request" in reply[0]


def test_a_silent_server_is_reported_not_waited_on_forever() -> None:
    listener = zmq.Context.instance().socket(zmq.ROUTER)
    listener.setsockopt(zmq.LINGER, 0)
    port = listener.bind_to_random_port("tcp://127.0.0.1")
    try:
        with pytest.raises(ClipUnavailable, match="did not answer"):
            ClipClient(f"tcp://127.0.0.1:{port}", timeout_s=0.3).info("01a20707-7903-772b-a318-412b1593c812")
    finally:
        listener.close()
