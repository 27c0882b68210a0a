"""Synthetic camera scenes with ground truth — the frame source of the camera simulators and analytics tests.

A :class:`Scene` is a callable ``scene(t) -> numpy BGR frame`` at any resolution; ``scene.truth`` says what a
correct analytic should report and when (objects, loitering, line crossings, tamper alerts)::

    scene = make_scene("faults", 1280, 720)
    frame = scene(12.4)                    # H x W x 3 uint8, BGR
    scene.truth.expected_alerts()          # [ExpectedAlert("covered", 15.0, 27.0), ...]

Names: ``bridge`` (demo loop), ``loiter``, ``crossing``, ``day_night``, ``faults``, ``flag``.
"""

from __future__ import annotations

from simulators.scene_catalog import CATALOG, EAST_SPAN, FLAG, MIDSPAN
from simulators.scene_model import FAULT_ALERTS, Actor, Fault, Line, Polygon, SceneSpec, inside
from simulators.scene_render import Image, Renderer
from simulators.scene_truth import Crossing, Dwell, ExpectedAlert, GroundTruth, ObjectTruth

__all__ = [
    "CATALOG",
    "EAST_SPAN",
    "FAULT_ALERTS",
    "FLAG",
    "MIDSPAN",
    "Actor",
    "Crossing",
    "Dwell",
    "ExpectedAlert",
    "Fault",
    "GroundTruth",
    "Line",
    "ObjectTruth",
    "Polygon",
    "Scene",
    "SceneSpec",
    "inside",
    "make_scene",
]


class Scene:
    """A scene rendered at one resolution. ``loop=True`` repeats it forever (for streaming simulators)."""

    def __init__(
        self,
        spec: SceneSpec,
        width: int = 1280,
        height: int = 720,
        *,
        seed: int = 7,
        noise: float = 2.5,
        loop: bool = False,
    ) -> None:
        self.spec = spec
        self.width, self.height = width, height
        self.loop = loop
        self.truth = GroundTruth(spec)
        self._renderer = Renderer(spec, width, height, seed=seed, noise=noise)

    @property
    def duration(self) -> float:
        """Length of the scripted scene in seconds."""
        return self.spec.duration

    def __call__(self, t: float) -> Image:
        """The BGR frame at ``t`` seconds (a new array; the caller may keep or modify it)."""
        if self.loop:
            t %= self.spec.duration
        return self._renderer.render(t)

    frame = __call__


def make_scene(name: str, width: int = 1280, height: int = 720, **options: object) -> Scene:
    """The catalogue scene ``name`` at ``width`` x ``height`` (options: seed, noise, loop)."""
    try:
        spec = CATALOG[name]()
    except KeyError:
        raise ValueError(f"unknown scene {name!r}; known: {', '.join(sorted(CATALOG))}") from None
    return Scene(spec, width, height, **options)  # type: ignore[arg-type]
