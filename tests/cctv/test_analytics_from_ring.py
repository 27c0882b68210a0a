"""Analytics as a ring consumer: a camera process publishes a scene; the pipeline reads zero-copy views."""

from __future__ import annotations

from analytics_support import bridge_config
from ringprocs import bus_config, producer

from edge.video.analytics.findings import Finding
from edge.video.analytics.pipeline import AnalyticsPipeline
from edge.video.consumer import FrameConsumer
from simulators.scenes import make_scene


def test_line_crossings_are_found_in_frames_taken_from_the_ring() -> None:
    """The scene runs at 8x real time; the consumer skips whatever it is too slow for and still gets it right."""
    findings: list[Finding] = []
    with bus_config() as config, producer("cam1", config, (1, 1)) as prod, FrameConsumer("cam1", config) as consumer:
        pipeline = AnalyticsPipeline("cam1", bridge_config())
        prod.start_call("scene", "crossing", 640, 360, 10.0, 8.0)
        while not prod.conn.poll(0):
            view = consumer.next_frame(timeout=5)
            if view is None:
                continue
            found = pipeline.process(view.image, view.ts)
            if view.intact():  # a frame overwritten while analysed would be dropped, never half-used
                findings += found
        prod.answer()
    truth = make_scene("crossing").truth.crossings("midspan")
    crossed = [f for f in findings if f.type == "line_crossed"]
    assert [f.data["direction"] for f in crossed] == [c.direction for c in truth]
    assert all(abs(f.ts - c.t) < 1.0 for f, c in zip(crossed, truth, strict=True))
    assert pipeline.frames > 100 and consumer.stats.delivered == pipeline.frames
