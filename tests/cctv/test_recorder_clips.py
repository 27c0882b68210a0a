"""Event clips: H.264 MP4 a browser plays, covering the asked-for time before and after, memory bounded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from recorder_support import T0, decoded, feed, probe, psnr, recorder, top_level_boxes

from edge.contract.clips import ClipInfo
from edge.video.clip_store import sha256_file
from edge.video.errors import RecordingError
from edge.video.recorder_config import RecorderConfig
from simulators.scenes import make_scene

SIZE = (640, 360)


def _clip(root: Path, trigger: float = 10.0, pre: float = 4.0, post: float = 6.0) -> tuple[ClipInfo, Path]:
    scene = make_scene("bridge", *SIZE)
    done = threading.Event()
    infos: list[ClipInfo] = []
    rec = recorder(root, RecorderConfig(pre_s=pre, post_s=post), on_clip=lambda i: (infos.append(i), done.set()))
    try:
        feed(rec, scene, 0.0, trigger)
        clip_id = rec.trigger(T0 + trigger, {"type": "loitering", "alert_id": "loitering.east_span.1"}, b"\xff\xd8snap")
        assert rec.recording() == [clip_id]
        feed(rec, scene, trigger, trigger + post + 1.0)
        assert done.wait(60)
    finally:
        rec.close()
    (info,) = infos
    assert info.clip_id == clip_id
    return info, rec.store.mp4(info)


def test_a_clip_is_h264_mp4_with_the_time_before_and_after_the_event(tmp_path: Path) -> None:
    info, mp4 = _clip(tmp_path)
    stream = probe(mp4)["streams"][0]
    assert (stream["codec_name"], stream["pix_fmt"], stream["width"], stream["height"]) == ("h264", "yuv420p", 640, 360)
    boxes = top_level_boxes(mp4)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")  # faststart: playable while loading
    frames = decoded(mp4)
    assert 98 <= len(frames) == info.frames <= 102  # 10 s at 10 frames/s from a 25 frames/s source
    assert frames[-1][0] - frames[0][0] == pytest.approx(10.0, abs=0.15)
    # within one recorded frame (0.1 s) of what was asked
    assert info.start_ts == pytest.approx(T0 + 6.0, abs=0.1) and info.end_ts == pytest.approx(T0 + 16.0, abs=0.1)
    assert info.pre_s == pytest.approx(4.0, abs=0.1) and info.post_s == pytest.approx(6.0, abs=0.1)
    assert info.sha256 == sha256_file(mp4) and info.bytes == mp4.stat().st_size
    assert info.events[0]["type"] == "loitering" and info.events[0]["ts"] == T0 + 10.0
    assert info.snapshots == ["event-1.jpg", "frame-1.jpg"]
    scene = make_scene("bridge", *SIZE)
    for index in (0, len(frames) // 2, -1):
        t = info.start_ts - T0 + frames[index][0] - frames[0][0]
        image = frames[index][1]
        scores = {dt: psnr(image, scene(t + dt)) for dt in (-0.5, 0.0, 0.5)}
        assert max(scores, key=lambda k: scores[k]) == 0.0, (t, scores)  # the picture of that moment, decoded back


def test_events_during_a_clip_extend_it_and_later_ones_start_another(tmp_path: Path) -> None:
    scene = make_scene("crossing", 320, 180)
    infos: list[ClipInfo] = []
    rec = recorder(tmp_path, RecorderConfig(pre_s=2.0, post_s=3.0, max_clip_s=8.5), on_clip=infos.append)
    try:
        feed(rec, scene, 0.0, 5.0)
        first = rec.trigger(T0 + 5.0, {"type": "a"})
        feed(rec, scene, 5.0, 7.0)
        assert rec.trigger(T0 + 7.0, {"type": "b"}) == first  # extends to 10 s
        feed(rec, scene, 7.0, 9.0)
        second = rec.trigger(T0 + 9.0, {"type": "c"})  # would make the clip 3..12 s, longer than 8.5 s
        assert second != first
        feed(rec, scene, 9.0, 13.0)
    finally:
        rec.close()
    by_id = {i.clip_id: i for i in infos}
    assert [e["type"] for e in by_id[first].events] == ["a", "b"]
    assert by_id[first].start_ts == pytest.approx(T0 + 3.0, abs=0.1) and by_id[first].end_ts == pytest.approx(
        T0 + 10.0, abs=0.1
    )
    assert by_id[second].start_ts == pytest.approx(T0 + 7.0, abs=0.1) and by_id[second].end_ts == pytest.approx(
        T0 + 12.0, abs=0.1
    )


def test_memory_stays_bounded_and_a_short_pre_event_is_reported_honestly(tmp_path: Path) -> None:
    scene = make_scene("bridge", 1280, 720)
    infos: list[ClipInfo] = []
    cfg = RecorderConfig(pre_s=30.0, post_s=1.0, memory_bytes=1024**2, jpeg_quality=95)
    rec = recorder(tmp_path, cfg, on_clip=infos.append)
    try:
        peak = 0
        for i in range(200):
            rec.put(scene(i / 10), T0 + i / 10)
            peak = max(peak, rec.buffered_bytes)
        assert peak <= 1024**2 and rec.buffered_seconds < 30.0 and rec.dropped_frames > 0
        rec.trigger(T0 + 19.9, {"type": "x"})
        feed(rec, scene, 20.0, 21.5, fps=10.0)
    finally:
        rec.close()
    (info,) = infos
    assert info.pre_s < 25.0 and info.pre_s == pytest.approx(info.trigger_ts - info.start_ts, abs=1e-3)


def test_closing_finishes_the_clip_in_progress(tmp_path: Path) -> None:
    infos: list[ClipInfo] = []
    rec = recorder(tmp_path, RecorderConfig(pre_s=1.0, post_s=60.0), on_clip=infos.append)
    feed(rec, make_scene("bridge", 320, 180), 0.0, 3.0)
    rec.trigger(T0 + 2.0, {"type": "x"})
    rec.close()
    assert len(infos) == 1 and infos[0].end_ts == pytest.approx(T0 + 2.96, abs=0.1)
    with pytest.raises(RecordingError, match="closed"):
        rec.trigger(T0 + 3.0, {"type": "y"})


def test_an_event_with_no_frames_reports_an_error_and_the_recorder_goes_on(tmp_path: Path) -> None:
    errors: list[tuple[str, RecordingError]] = []
    infos: list[ClipInfo] = []
    rec = recorder(
        tmp_path,
        RecorderConfig(pre_s=1.0, post_s=1.0),
        on_error=lambda c, e: errors.append((c, e)),
        on_clip=infos.append,
    )
    try:
        lost = rec.trigger(T0, {"type": "x"})
        rec.flush()
        feed(rec, make_scene("bridge", 320, 180), 0.0, 4.0)
        rec.trigger(T0 + 2.0, {"type": "y"})
        feed(rec, make_scene("bridge", 320, 180), 4.0, 5.0)
    finally:
        rec.close()
    assert [(c, str(e)) for c, e in errors] == [(lost, "no frames were buffered for the event's time span")]
    assert len(infos) == 1 and not (tmp_path / "cam1" / lost).exists()


@pytest.mark.browser
def test_chromium_plays_the_clip(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _, mp4 = _clip(tmp_path)
    page_file = mp4.parent / "play.html"
    page_file.write_text('<video id="v" src="clip.mp4" muted preload="auto"></video>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            page.wait_for_function("document.getElementById('v').readyState >= 2", timeout=30_000)
            state = page.evaluate(
                "(() => { const v = document.getElementById('v'); return"
                " {error: v.error && v.error.code, duration: v.duration, w: v.videoWidth, h: v.videoHeight}; })()"
            )
            page.evaluate("document.getElementById('v').currentTime = 9.5")
            page.wait_for_function(
                "document.getElementById('v').readyState >= 2 && !document.getElementById('v').seeking"
            )
        finally:
            browser.close()
    assert state["error"] is None and (state["w"], state["h"]) == (640, 360)
    assert state["duration"] == pytest.approx(10.0, abs=0.2)
