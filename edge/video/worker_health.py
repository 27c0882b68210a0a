"""Camera health: what the worker process reports, the health its parent publishes, and the conditions
(stall, offline, auth failure, decoder errors) raised and cleared from those reports and the clock."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from edge.contract.cctv import CameraHealth, Condition, LinkState

__all__ = [
    "CameraHealth",
    "Condition",
    "ConditionChange",
    "ConditionPolicy",
    "ConditionTracker",
    "FailureKind",
    "LinkState",
    "WorkerReport",
]


class FailureKind(StrEnum):
    """Why the last connection attempt or read failed."""

    AUTH = "auth"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    STREAM = "stream"


@dataclass(frozen=True)
class WorkerReport:
    """Sent by the worker process to its parent (pickled over a pipe) twice a second and on every change."""

    state: LinkState
    frames: int
    decode_errors: int
    connects: int
    """Connection attempts so far (the first included)."""
    fps: float | None
    """Frames per second over the last two seconds."""
    last_frame_mono: float | None
    """``time.monotonic()`` of the last frame (system-wide clock, comparable across processes)."""
    streaming_since_mono: float | None
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    nominal_fps: float | None = None
    failure: FailureKind | None = None
    failure_phase: str | None = None
    """``open`` or ``read``."""
    error: str | None = None
    """The last error, redacted."""


@dataclass(frozen=True)
class ConditionChange:
    """A condition raised (``active``) or cleared, with one sentence for the operator."""

    camera: str
    condition: Condition
    active: bool
    message: str


@dataclass
class ConditionPolicy:
    """Thresholds of the condition tracker."""

    stall_timeout_s: float | None = None
    """None: ``max(2 s, 3 frame intervals)`` from the stream's frame rate."""
    decode_error_threshold: int = 5
    decode_error_window_s: float = 5.0
    decode_error_clear_s: float = 5.0

    def stall_after(self, fps: float | None) -> float:
        """The stall timeout for a stream of ``fps`` frames per second."""
        if self.stall_timeout_s is not None:
            return self.stall_timeout_s
        return max(2.0, 3.0 / fps) if fps else 2.0


class ConditionTracker:
    """Turns worker reports and the passing of time into raise/clear changes; pure (the caller gives ``now``)."""

    def __init__(self, camera: str, policy: ConditionPolicy) -> None:
        self.camera = camera
        self.policy = policy
        self.active: set[Condition] = set()
        self.report: WorkerReport | None = None
        self._errors: deque[tuple[float, int]] = deque()
        self._last_error_increase: float | None = None
        self._stall_raised_at_frame: float | None = None

    def _set(self, condition: Condition, active: bool, message: str, out: list[ConditionChange]) -> None:
        if (condition in self.active) == active:
            return
        if active:
            self.active.add(condition)
        else:
            self.active.discard(condition)
        out.append(ConditionChange(self.camera, condition, active, message))

    def update(self, report: WorkerReport, now: float) -> list[ConditionChange]:
        """Take a new report; returns the conditions it raises or clears."""
        previous = self.report
        self.report = report
        out: list[ConditionChange] = []
        if report.state is LinkState.STREAMING:
            self._set(Condition.OFFLINE, False, "camera reachable again", out)
            self._set(Condition.AUTH_FAILED, False, "camera accepts the credentials again", out)
        elif report.failure_phase == "open" and report.failure is not None:
            if report.failure is FailureKind.AUTH:
                self._set(Condition.OFFLINE, False, "camera reachable again", out)
                self._set(Condition.AUTH_FAILED, True, f"camera refuses the credentials: {report.error}", out)
            else:
                self._set(Condition.AUTH_FAILED, False, "camera no longer refuses the credentials", out)
                self._set(Condition.OFFLINE, True, f"camera offline: {report.error}", out)
        stalled_at = self._stall_raised_at_frame
        frame_since_stall = report.last_frame_mono is not None and (
            stalled_at is None or report.last_frame_mono > stalled_at
        )
        if Condition.STALL in self.active and frame_since_stall:
            self._set(Condition.STALL, False, "frames are arriving again", out)
        self._track_decode_errors(report, previous, now, out)
        out += self.check(now)
        return out

    def _track_decode_errors(
        self, report: WorkerReport, previous: WorkerReport | None, now: float, out: list[ConditionChange]
    ) -> None:
        if previous is not None and report.decode_errors > previous.decode_errors:
            self._last_error_increase = now
        self._errors.append((now, report.decode_errors))
        while self._errors and self._errors[0][0] < now - self.policy.decode_error_window_s:
            self._errors.popleft()
        recent = report.decode_errors - self._errors[0][1] if self._errors else 0
        if recent >= self.policy.decode_error_threshold:
            self._set(
                Condition.DECODE_ERRORS,
                True,
                f"{recent} decoder errors in {self.policy.decode_error_window_s:g} s: the stream arrives damaged",
                out,
            )

    def check(self, now: float) -> list[ConditionChange]:
        """Conditions that follow from time alone (stall; decoder errors gone quiet)."""
        out: list[ConditionChange] = []
        r = self.report
        if r is None:
            return out
        if r.state is LinkState.STREAMING and Condition.STALL not in self.active:
            since = max(r.last_frame_mono or 0.0, r.streaming_since_mono or 0.0)
            limit = self.policy.stall_after(r.nominal_fps or r.fps)
            if since and now - since > limit:
                self._stall_raised_at_frame = r.last_frame_mono
                self._set(Condition.STALL, True, f"no frame for {now - since:.1f} s (limit {limit:g} s)", out)
        if Condition.DECODE_ERRORS in self.active:
            quiet_since = self._last_error_increase or 0.0
            flowing = r.state is LinkState.STREAMING and Condition.STALL not in self.active
            if flowing and now - quiet_since >= self.policy.decode_error_clear_s:
                self._errors.clear()  # errors from before the clearing must not raise it again
                self._set(Condition.DECODE_ERRORS, False, "frames decode cleanly again", out)
        return out

    def health(self, now: float, restarts: int) -> CameraHealth:
        """The health snapshot for the device state."""
        r = self.report
        if r is None:
            return CameraHealth(state=LinkState.STARTING, restarts=restarts, conditions=sorted(self.active))
        return CameraHealth(
            state=r.state,
            fps=round(r.fps, 2) if r.fps is not None else None,
            last_frame_age_s=round(now - r.last_frame_mono, 3) if r.last_frame_mono is not None else None,
            frames=r.frames,
            decode_errors=r.decode_errors,
            reconnects=max(0, r.connects - 1),
            restarts=restarts,
            width=r.width,
            height=r.height,
            codec=r.codec,
            conditions=sorted(self.active),
            last_error=r.error,
        )
