"""Per-camera analytics settings. Coordinates are fractions of the frame (x right, y down, 0..1)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Point = tuple[float, float]


def _polygon(points: list[Point]) -> list[Point]:
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"polygon point ({x}, {y}) is outside the frame (coordinates are fractions, 0..1)")
    return points


def _point(point: Point) -> Point:
    if not (0.0 <= point[0] <= 1.0 and 0.0 <= point[1] <= 1.0):
        raise ValueError(f"point {point} is outside the frame (coordinates are fractions, 0..1)")
    return point


PolygonPoints = Annotated[list[Point], AfterValidator(_polygon)]
FramePoint = Annotated[Point, AfterValidator(_point)]
ObjectKind = Literal["person", "vehicle", "object"]


def _people() -> list[ObjectKind]:
    return ["person"]


def _everything() -> list[ObjectKind]:
    return ["person", "vehicle", "object"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneConfig(_Strict):
    """A named region: motion in it is reported, and objects staying longer than ``loiter_after_s`` raise an alert."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Zone name, unique per camera.")
    polygon: PolygonPoints = Field(description="Corners as (x, y) fractions of the frame.")
    motion: bool = Field(default=True, description="Report motion starting and stopping in this zone.")
    loiter_after_s: float | None = Field(
        default=None, gt=0, le=24 * 3600, description="Raise loitering when an object stays this long; None: off."
    )
    kinds: list[ObjectKind] = Field(default_factory=_people, description="Object kinds the loitering rule applies to.")


class LineConfig(_Strict):
    """A counting line. Left and right are as seen walking from ``a`` towards ``b`` on the screen."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Line name, unique per camera.")
    a: FramePoint = Field(description="Start of the line, (x, y) fractions.")
    b: FramePoint = Field(description="End of the line, (x, y) fractions.")
    direction: Literal["any", "left_to_right", "right_to_left"] = Field(
        default="any", description="Which crossings to report."
    )
    kinds: list[ObjectKind] = Field(default_factory=_everything, description="Object kinds counted.")


class MotionConfig(_Strict):
    """Background subtraction on a downscaled grey frame."""

    analysis_width: int = Field(default=320, ge=64, le=1280, description="Width the frame is scaled to.")
    threshold: int = Field(default=18, ge=2, le=128, description="Grey-level difference that counts as change.")
    background_tau_s: float = Field(default=2.0, gt=0, description="Time constant of background learning.")
    foreground_tau_s: float = Field(
        default=300.0, gt=0, description="Time constant with which a still object melts into the background."
    )
    min_blob_area: float = Field(
        default=0.0008, gt=0, lt=1, description="Smallest object, as a fraction of the frame area."
    )
    global_change: float = Field(
        default=0.5, gt=0, le=1, description="Changed fraction above which the whole picture changed (relearn)."
    )
    zone_fraction: float = Field(
        default=0.004, gt=0, le=1, description="Changed fraction of a zone that counts as motion in it."
    )
    masks: list[PolygonPoints] = Field(default_factory=list, description="Regions ignored (trees, flags, roads).")


class ConditionTiming(_Strict):
    """Hysteresis in time: how long a condition must hold before it is raised, and be gone before it clears."""

    raise_after_s: float = Field(default=3.0, ge=0, description="Seconds the condition must hold to be raised.")
    clear_after_s: float = Field(default=5.0, ge=0, description="Seconds it must be absent to be cleared.")


class TamperConfig(_Strict):
    """Covered lens, defocus, moved camera, frozen picture."""

    covered: ConditionTiming = Field(default_factory=ConditionTiming, description="Covered or blacked-out lens.")
    defocused: ConditionTiming = Field(default_factory=ConditionTiming, description="Picture out of focus.")
    moved: ConditionTiming = Field(default_factory=ConditionTiming, description="Camera points elsewhere.")
    frozen: ConditionTiming = Field(default_factory=ConditionTiming, description="Identical frames keep coming.")
    covered_contrast: tuple[float, float] = Field(
        default=(8.0, 14.0), description="Grey std-dev below the first is covered, above the second is not."
    )
    sharpness_ratio: tuple[float, float] = Field(
        default=(0.45, 0.7), description="Sharpness vs reference below the first is defocused, above the second not."
    )
    moved_shift: tuple[float, float] = Field(
        default=(0.02, 0.01), description="View shift (fraction of width) above the first is moved, below second not."
    )
    frozen_difference: tuple[float, float] = Field(
        default=(0.05, 0.3), description="Mean grey change between frames below the first is frozen, above not."
    )
    reference_refresh_s: float = Field(
        default=30.0, gt=0, description="While healthy, the reference view and sharpness are renewed this often."
    )


class AnalyticsConfig(_Strict):
    """Everything the analytics of one camera need."""

    motion: MotionConfig = Field(default_factory=MotionConfig, description="Motion detection settings.")
    tamper: TamperConfig = Field(default_factory=TamperConfig, description="Tamper detection settings.")
    zones: list[ZoneConfig] = Field(default_factory=list, description="Zones for motion and loitering.")
    lines: list[LineConfig] = Field(default_factory=list, description="Lines for directional crossing counts.")
    zone_motion: ConditionTiming = Field(
        default_factory=lambda: ConditionTiming(raise_after_s=0.5, clear_after_s=3.0),
        description="How long motion must last to start, and be absent to stop, a zone's motion.",
    )
    track_max_gap_s: float = Field(default=1.5, gt=0, description="A track unseen this long is ended.")
    track_max_step: float = Field(
        default=0.12, gt=0, le=1, description="Largest move between two sightings, as a fraction of the width."
    )
    snapshot_width: int = Field(default=640, ge=64, le=1920, description="Width of JPEG snapshots.")
    snapshot_quality: int = Field(default=80, ge=20, le=95, description="JPEG quality of snapshots.")
