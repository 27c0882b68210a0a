"""Errors of the edge video path (frame bus, analytics, recording, evidence)."""

from __future__ import annotations


class VideoError(Exception):
    """Base class of every error raised by :mod:`edge.video`."""


class FrameBusError(VideoError):
    """The shared-memory frame ring or its notifications cannot be used as asked."""


class RingNotFound(FrameBusError):
    """No ring exists (yet) for the camera a consumer attached to."""


class RingLayoutError(FrameBusError):
    """A shared-memory segment does not hold a ring this version understands."""


class FrameTooLarge(FrameBusError):
    """A frame does not fit the ring's slots and the ring may not grow."""


class FrameOverwritten(FrameBusError):
    """The producer reused a slot while a consumer was reading or using its frame."""


class RecordingError(VideoError):
    """A clip cannot be recorded or stored (encoder failure, no disk headroom)."""


class DiskHeadroomError(RecordingError):
    """Writing would leave less free disk space than the retention policy keeps."""


class EvidenceError(VideoError):
    """An evidence package cannot be exported or read."""
