"""Simulated DALI control gear (IEC 62386-102) and what one forward frame does to the gear on a line.

Frames are decoded with python-dali (``dali.command.from_frame``), the same library the drivers use, so the
simulator and the driver agree on the frame layout without either hand-coding it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dali import address, command, frame
from dali.gear import general as gear

from drivers.dali.gear_codec import GearStatus, groups_to_bytes

MASK = 255


@dataclass
class SimGear:
    """One control gear: levels (with optional linear fades), groups, scenes and scriptable faults.

    ``mute`` gear obey but never answer; ``deaf`` gear answer queries but ignore every other command (a
    luminaire that does not follow commands); ``lamp_failure`` / ``gear_failure`` set the status bits.
    """

    short: int
    groups: set[int] = field(default_factory=set)
    scenes: list[int] = field(default_factory=lambda: [MASK] * 16)
    max_level: int = 254
    min_level: int = 1
    system_failure_level: int = 254
    fade_s: float = 0.0
    lamp_failure: bool = False
    gear_failure: bool = False
    mute: bool = False
    deaf: bool = False
    power_failure: bool = True
    limit_error: bool = False
    level_from: int = 0
    level_to: int = 0
    fade_start: float = 0.0
    fade_len: float = 0.0

    def actual_level(self, now: float) -> int:
        """The arc level at ``now`` (linear in arc level during a fade, as DALI fades are)."""
        if self.fade_len <= 0 or now >= self.fade_start + self.fade_len:
            return self.level_to
        done = max(0.0, (now - self.fade_start) / self.fade_len)
        return round(self.level_from + (self.level_to - self.level_from) * done)

    def fade_running(self, now: float) -> bool:
        """A fade is under way."""
        return self.fade_len > 0 and now < self.fade_start + self.fade_len

    def go_to(self, level: int, now: float, *, fade: bool) -> None:
        """Start towards ``level`` (clamped to min/max, 0 = off), fading if asked and a fade time is set."""
        self.power_failure = False
        if level == MASK:
            self.level_to, self.fade_len = self.actual_level(now), 0.0
            return
        clamped = 0 if level == 0 else max(self.min_level, min(self.max_level, level))
        self.limit_error = clamped != level
        self.level_from = self.actual_level(now)
        self.level_to = clamped
        self.fade_start = now
        self.fade_len = self.fade_s if fade else 0.0

    def status(self, now: float) -> GearStatus:
        """The QUERY STATUS answer."""
        return GearStatus(
            gear_failure=self.gear_failure,
            lamp_failure=self.lamp_failure,
            arc_power_on=self.actual_level(now) > 0 and not self.lamp_failure,
            limit_error=self.limit_error,
            fade_running=self.fade_running(now),
            missing_short_address=False,
            power_failure=self.power_failure,
        )


@dataclass
class LineState:
    """The gear on one line and the line-wide registers (DTR0, the last send-twice frame)."""

    gear: list[SimGear] = field(default_factory=list)
    dtr0: int = 0
    last_config: tuple[int, float] | None = None

    def addressed(self, dest: address.Address) -> list[SimGear]:
        """Gear a destination address reaches."""
        if isinstance(dest, address.GearShort):
            return [g for g in self.gear if g.short == dest.address]
        if isinstance(dest, address.GearGroup):
            return [g for g in self.gear if dest.group in g.groups]
        if isinstance(dest, address.GearBroadcast):
            return list(self.gear)
        return []


def decode(data: bytes) -> command.Command:
    """The python-dali command a forward frame carries."""
    return command.Command.from_frame(frame.ForwardFrame(8 * len(data), data))


def execute(line: LineState, data: bytes, now: float) -> list[int]:
    """Apply one forward frame at ``now``; return the answers of the gear that respond (one each).

    Send-twice commands take effect only on the second identical frame within 100 ms.
    """
    cmd = decode(data)
    config = bool(cmd.sendtwice)
    if config:
        frame_int = int.from_bytes(data, "big")
        previous, line.last_config = line.last_config, (frame_int, now)
        if previous is None or previous[0] != frame_int or now - previous[1] > 0.1:
            return []
        line.last_config = None
    else:
        line.last_config = None
    if isinstance(cmd, gear.DTR0):
        line.dtr0 = cmd.param
        return []
    dest = getattr(cmd, "destination", None)
    if dest is None:
        return []
    answers = []
    for g in line.addressed(dest):
        answer = _apply(g, cmd, line.dtr0, now)
        if answer is not None and not g.mute:
            answers.append(answer)
    return answers


def _apply(g: SimGear, cmd: command.Command, dtr0: int, now: float) -> int | None:
    answer = _query(g, cmd, now)
    if answer is not None or cmd.is_query:
        return answer
    if g.deaf:
        return None
    if isinstance(cmd, gear.DAPC):
        g.go_to(cmd.power, now, fade=True)
    elif isinstance(cmd, gear.Off):
        g.go_to(0, now, fade=False)
    elif isinstance(cmd, gear.RecallMaxLevel):
        g.go_to(g.max_level, now, fade=False)
    elif isinstance(cmd, gear.RecallMinLevel):
        g.go_to(g.min_level, now, fade=False)
    elif isinstance(cmd, gear.GoToScene):
        if g.scenes[cmd.param] != MASK:
            g.go_to(g.scenes[cmd.param], now, fade=True)
    elif isinstance(cmd, gear.SetScene):
        g.scenes[cmd.param] = dtr0
    elif isinstance(cmd, gear.AddToGroup):
        g.groups.add(cmd.param)
    elif isinstance(cmd, gear.RemoveFromGroup):
        g.groups.discard(cmd.param)
    return None


def _query(g: SimGear, cmd: command.Command, now: float) -> int | None:
    if isinstance(cmd, gear.QueryStatus):
        return g.status(now).to_byte()
    if isinstance(cmd, gear.QueryControlGearPresent):
        return MASK
    if isinstance(cmd, gear.QueryLampFailure):
        return MASK if g.lamp_failure else None
    if isinstance(cmd, gear.QueryActualLevel):
        return g.actual_level(now)
    if isinstance(cmd, gear.QueryMaxLevel):
        return g.max_level
    if isinstance(cmd, gear.QueryMinLevel):
        return g.min_level
    if isinstance(cmd, gear.QuerySceneLevel):
        return g.scenes[cmd.param]
    if isinstance(cmd, gear.QueryGroupsZeroToSeven):
        return groups_to_bytes(g.groups)[0]
    if isinstance(cmd, gear.QueryGroupsEightToFifteen):
        return groups_to_bytes(g.groups)[1]
    return None
