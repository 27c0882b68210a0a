"""Carry out a DALI plan: every line at once, the frames of a line pipelined through the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from drivers.dali.bus import DaliLine
from drivers.dali.dimming import percent_to_arc
from drivers.dali.errors import DaliError, NoAnswer
from edge.lighting.planner import DaliPlan, LineKey


class ZoneCommandError(Exception):
    """Some frames of a zone command failed; ``failures`` names the line and target of each."""

    def __init__(self, failures: list[tuple[LineKey, str, DaliError]]) -> None:
        lines = "; ".join(f"{key.gateway}/{key.line} {target}: {err}" for key, target, err in failures)
        super().__init__(f"{len(failures)} DALI frame(s) failed: {lines}")
        self.failures = failures


async def apply_level(plan: DaliPlan, lines: Mapping[LineKey, DaliLine], percent: float) -> int:
    """Send the plan's frames at ``percent``; return the arc level sent. Raises :class:`ZoneCommandError`."""
    level = percent_to_arc(percent)
    missing = [key for key in plan.frames if key not in lines]
    if missing:
        raise KeyError(f"no driver for DALI line(s) {', '.join(f'{k.gateway}/{k.line}' for k in missing)}")
    jobs = [(key, target) for key, targets in plan.frames.items() for target in targets]
    results = await asyncio.gather(*(lines[key].set_arc(target, level) for key, target in jobs), return_exceptions=True)
    failures = []
    for (key, target), result in zip(jobs, results, strict=True):
        if isinstance(result, DaliError):
            failures.append((key, str(target), result))
        elif isinstance(result, BaseException):
            raise result
    if failures:
        raise ZoneCommandError(failures)
    return level


async def read_levels(
    lines: Mapping[LineKey, DaliLine], gear: Iterable[tuple[LineKey, int]]
) -> dict[tuple[LineKey, int], int | None]:
    """QUERY ACTUAL LEVEL of each gear (pipelined per line); ``None`` where the gear did not answer."""
    wanted = list(gear)

    async def one(key: LineKey, short: int) -> int | None:
        try:
            return await lines[key].query_actual_level(short)
        except NoAnswer:
            return None

    values = await asyncio.gather(*(one(key, short) for key, short in wanted))
    return dict(zip(wanted, values, strict=True))
