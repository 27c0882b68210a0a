"""Polygons and lines in frame fractions: masks at the analysis size, inside tests, crossing sides."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

Point = tuple[float, float]
Mask = np.ndarray[Any, np.dtype[np.uint8]]


def polygon_mask(polygons: Sequence[Sequence[Point]], width: int, height: int) -> Mask:
    """A ``height`` x ``width`` mask, 255 inside any of ``polygons`` and 0 elsewhere."""
    mask = np.zeros((height, width), np.uint8)
    for polygon in polygons:
        pts = np.array([[round(x * (width - 1)), round(y * (height - 1))] for x, y in polygon], np.int32)
        cv2.fillPoly(mask, [pts], 255)
    return mask


def inside(polygon: Sequence[Point], p: Point) -> bool:
    """Whether ``p`` lies inside ``polygon`` (even-odd rule; a point on an edge may go either way)."""
    x, y = p
    result = False
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


class CountingLine:
    """A segment a→b; ``signed_distance`` is negative on the left as seen walking from a to b on screen.

    ``aspect`` (width / height) makes distances isotropic in pixels although coordinates are fractions.
    """

    def __init__(self, a: Point, b: Point, aspect: float = 16 / 9) -> None:
        self.a = (a[0] * aspect, a[1])
        self.b = (b[0] * aspect, b[1])
        self.aspect = aspect
        self.length = math.dist(self.a, self.b)
        if self.length == 0:
            raise ValueError("a counting line needs two distinct points")

    def _scaled(self, p: Point) -> Point:
        return p[0] * self.aspect, p[1]

    def signed_distance(self, p: Point) -> float:
        """Distance of ``p`` from the line through a and b, in frame heights; negative on the left."""
        (ax, ay), (bx, by), (px, py) = self.a, self.b, self._scaled(p)
        return ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / self.length

    def within_extent(self, p0: Point, p1: Point) -> bool:
        """Whether the step p0→p1 meets the segment itself, not the line beyond its ends."""
        (ax, ay), (bx, by) = self.a, self.b
        (x0, y0), (x1, y1) = self._scaled(p0), self._scaled(p1)
        da = (x1 - x0) * (ay - y0) - (y1 - y0) * (ax - x0)
        db = (x1 - x0) * (by - y0) - (y1 - y0) * (bx - x0)
        return da * db <= 0
