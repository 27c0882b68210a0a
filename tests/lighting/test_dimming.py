"""The IEC 62386-102 logarithmic curve, both directions."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.dali.dimming import arc_to_percent, arc_to_whole_percent, percent_to_arc


def test_fixed_points_of_the_standard() -> None:
    assert arc_to_percent(0) == 0
    assert arc_to_percent(1) == pytest.approx(0.1)
    assert arc_to_percent(254) == pytest.approx(100.0)
    assert arc_to_percent(86) == pytest.approx(1.0, rel=0.03)
    assert arc_to_percent(170) == pytest.approx(10.0, rel=0.03)


def test_fifty_percent_is_229() -> None:
    assert percent_to_arc(50) == 229


def test_every_arc_level_round_trips() -> None:
    assert [percent_to_arc(arc_to_percent(n)) for n in range(255)] == list(range(255))


@given(st.floats(min_value=0.1, max_value=100))
def test_percent_round_trip_is_within_half_a_step(percent: float) -> None:
    step = 10 ** (3 / 253)
    back = arc_to_percent(percent_to_arc(percent))
    assert abs(math.log(back / percent)) <= math.log(step) / 2 + 1e-9


def test_curve_is_monotonic_and_each_step_about_2_8_percent() -> None:
    values = [arc_to_percent(n) for n in range(1, 255)]
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert all(r == pytest.approx(1.0277, rel=1e-3) for r in ratios)


def test_dim_but_on_never_becomes_off() -> None:
    assert percent_to_arc(0.001) == 1
    assert arc_to_whole_percent(1) == 1
    assert arc_to_whole_percent(0) == 0
    # steps above ~36 % are wider than 1 %, so whole percents come back within one rounding of a step
    assert all(abs(arc_to_whole_percent(percent_to_arc(p)) - p) <= max(1, 0.015 * p) for p in range(1, 101))


@pytest.mark.parametrize("bad", [-1, 101, float("nan")])
def test_bad_percent_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="percent"):
        percent_to_arc(bad)


@pytest.mark.parametrize("bad", [-1, 255])
def test_bad_arc_level_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="arc power level"):
        arc_to_percent(bad)
