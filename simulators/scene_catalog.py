"""Named scenes on one bridge layout: a loiter zone on the east span and a counting line at midspan.

Times are seconds from the scene's start; positions are foot points as fractions of the frame.
"""

from __future__ import annotations

from collections.abc import Callable

from simulators.scene_model import Actor, Fault, Line, Polygon, SceneSpec

PERSON = (0.03, 0.14)
BOAT = (0.12, 0.06)
EAST_SPAN: Polygon = ((0.55, 0.66), (0.85, 0.66), (0.85, 0.93), (0.55, 0.93))
MIDSPAN = Line(a=(0.45, 0.99), b=(0.45, 0.62))  # drawn upwards: left_to_right is walking screen-right
FLAG: Polygon = ((0.86, 0.06), (0.97, 0.06), (0.97, 0.17), (0.86, 0.17))
ZONES = {"east_span": EAST_SPAN}
LINES = {"midspan": MIDSPAN}


def _walker(ident: str, t0: float, t1: float, y: float, rightwards: bool, color: tuple[int, int, int]) -> Actor:
    x0, x1 = (0.02, 0.98) if rightwards else (0.98, 0.02)
    return Actor(ident, "person", PERSON, color, ((t0, x0, y), (t1, x1, y)))


def _boat(ident: str, t0: float, t1: float) -> Actor:
    return Actor(ident, "boat", BOAT, (215, 220, 225), ((t0, -0.05, 0.5), (t1, 1.05, 0.5)))


def loiter() -> SceneSpec:
    """A passer-by crosses the east span in under 4 s; a second person stays on it for about 40 s."""
    return SceneSpec(
        name="loiter",
        duration=60.0,
        actors=(
            _walker("passer", 2.0, 14.0, 0.85, True, (200, 60, 30)),
            Actor(
                "loiterer",
                "person",
                PERSON,
                (30, 200, 230),
                ((4.0, 0.98, 0.78), (9.0, 0.70, 0.78), (44.0, 0.70, 0.78), (50.0, 0.98, 0.74)),
                sway=0.006,
            ),
            _boat("boat", 0.0, 60.0),
        ),
        zones=dict(ZONES),
        lines=dict(LINES),
        description="loitering on the east span",
    )


def crossing() -> SceneSpec:
    """One person crosses midspan left to right, one right to left, one walks up to the line and turns back."""
    return SceneSpec(
        name="crossing",
        duration=40.0,
        actors=(
            _walker("eastbound", 2.0, 12.0, 0.80, True, (200, 60, 30)),
            _walker("westbound", 14.0, 24.0, 0.90, False, (30, 200, 230)),
            Actor(
                "hesitant",
                "person",
                PERSON,
                (60, 200, 60),
                ((26.0, 0.05, 0.72), (31.0, 0.40, 0.72), (36.0, 0.05, 0.72)),
            ),
        ),
        zones=dict(ZONES),
        lines=dict(LINES),
        description="directional line crossings at midspan",
    )


def day_night() -> SceneSpec:
    """Dusk falls between 15 s and 45 s while people keep crossing; nothing is wrong with the camera."""
    return SceneSpec(
        name="day_night",
        duration=80.0,
        actors=(
            _walker("w1", 3.0, 13.0, 0.82, True, (200, 60, 30)),
            _walker("w2", 20.0, 30.0, 0.88, False, (30, 200, 230)),
            _walker("w3", 50.0, 60.0, 0.80, True, (230, 230, 230)),
            _walker("w4", 64.0, 74.0, 0.90, False, (60, 200, 60)),
            _boat("boat", 5.0, 75.0),
        ),
        lighting=((0.0, 1.0), (15.0, 1.0), (45.0, 0.0), (80.0, 0.0)),
        zones=dict(ZONES),
        lines=dict(LINES),
        description="day to night",
    )


def faults() -> SceneSpec:
    """Lens covered, defocus, camera knocked and frozen image, ten seconds of normal picture between each."""
    walkers = tuple(
        _walker(f"w{i}", 2.0 + 11.0 * i, 12.0 + 11.0 * i, 0.78 + 0.05 * (i % 3), i % 2 == 0, (200, 60 + 20 * i, 30))
        for i in range(10)
    )
    return SceneSpec(
        name="faults",
        duration=110.0,
        actors=walkers,
        faults=(
            Fault("covered", 15.0, 27.0),
            Fault("defocus", 37.0, 49.0),
            Fault("knocked", 59.0, 71.0),
            Fault("frozen", 81.0, 93.0),
        ),
        zones=dict(ZONES),
        lines=dict(LINES),
        description="scripted camera faults",
    )


def flag() -> SceneSpec:
    """A flag waves in the top right all the time (mask it); one person crosses the deck."""
    return SceneSpec(
        name="flag",
        duration=30.0,
        actors=(_walker("walker", 5.0, 20.0, 0.85, True, (200, 60, 30)),),
        flag=FLAG,
        zones=dict(ZONES),
        lines=dict(LINES),
        description="constant motion in a region to mask",
    )


def bridge() -> SceneSpec:
    """The demo loop: people both ways, someone lingering, a boat; two minutes, daylight."""
    people = (
        _walker("w1", 1.0, 11.0, 0.80, True, (200, 60, 30)),
        _walker("w2", 9.0, 19.0, 0.90, False, (30, 200, 230)),
        _walker("w3", 40.0, 52.0, 0.84, True, (230, 230, 230)),
        _walker("w4", 70.0, 80.0, 0.88, False, (60, 200, 60)),
        _walker("w5", 95.0, 105.0, 0.82, True, (200, 60, 200)),
        Actor(
            "lingerer",
            "person",
            PERSON,
            (30, 120, 230),
            ((20.0, 0.98, 0.75), (24.0, 0.68, 0.75), (60.0, 0.68, 0.75), (66.0, 0.98, 0.72)),
            sway=0.006,
        ),
    )
    return SceneSpec(
        name="bridge",
        duration=120.0,
        actors=(*people, _boat("boat1", 0.0, 50.0), _boat("boat2", 60.0, 115.0)),
        zones=dict(ZONES),
        lines=dict(LINES),
        description="demo loop",
    )


CATALOG: dict[str, Callable[[], SceneSpec]] = {
    "bridge": bridge,
    "loiter": loiter,
    "crossing": crossing,
    "day_night": day_night,
    "faults": faults,
    "flag": flag,
}
