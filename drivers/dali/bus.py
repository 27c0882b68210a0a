"""DALI gear commands on one line of a gateway: arc power, scenes, groups and the queries the edge needs.

Frames and commands are python-dali's (``dali.gear.general``); this layer picks transmit priorities (2 for
control, 5 for background queries, as in IEC 62386-103 §9.14's guidance) and turns answers into values or
errors that say which gear did what.
"""

from __future__ import annotations

from dali import command
from dali.gear import general as gear

from drivers.dali.addressing import Target
from drivers.dali.dimming import MAX_ARC, percent_to_arc
from drivers.dali.errors import AnswerCollision, NoAnswer
from drivers.dali.gateway import Answer, AnswerKind, LubaGateway
from drivers.dali.gear_codec import GearStatus, groups_from_bytes

CONTROL_PRIORITY = 2
QUERY_PRIORITY = 5


class DaliLine:
    """One DALI line (bus) behind a :class:`LubaGateway`."""

    def __init__(self, gateway: LubaGateway, line: int) -> None:
        if not 0 <= line < gateway.lines:
            raise ValueError(f"line {line} out of range 0-{gateway.lines - 1}")
        self.gateway = gateway
        self.line = line

    async def send(self, cmd: command.Command, *, priority: int | None = None) -> Answer | None:
        """Transmit a python-dali gear command (send-twice and query handling follow the command)."""
        if cmd.devicetype != 0:
            raise ValueError(f"{cmd} needs ENABLE DEVICE TYPE {cmd.devicetype}, which this driver does not send")
        data = bytes(cmd.frame.as_byte_sequence)
        if priority is None:
            priority = QUERY_PRIORITY if cmd.is_query else CONTROL_PRIORITY
        return await self.gateway.transmit(
            self.line, data, query=cmd.is_query, send_twice=bool(cmd.sendtwice), priority=priority
        )

    # --- arc power ---------------------------------------------------------------------------------------

    async def set_arc(self, target: Target, level: int) -> None:
        """DAPC: fade ``target`` to arc level ``level`` (0 off, 1-254)."""
        if not 0 <= level <= MAX_ARC:
            raise ValueError(f"arc level {level} out of range 0-{MAX_ARC}")
        await self.send(gear.DAPC(target.to_dali(), level))

    async def set_percent(self, target: Target, percent: float) -> int:
        """DAPC at the arc level of ``percent`` on the logarithmic curve; returns the arc level sent."""
        level = percent_to_arc(percent)
        await self.set_arc(target, level)
        return level

    async def off(self, target: Target) -> None:
        """OFF: switch off at once, without fading."""
        await self.send(gear.Off(target.to_dali()))

    async def recall_max(self, target: Target) -> None:
        """RECALL MAX LEVEL."""
        await self.send(gear.RecallMaxLevel(target.to_dali()))

    async def recall_min(self, target: Target) -> None:
        """RECALL MIN LEVEL."""
        await self.send(gear.RecallMinLevel(target.to_dali()))

    async def go_to_scene(self, target: Target, scene: int) -> None:
        """GO TO SCENE ``scene`` (0-15)."""
        await self.send(gear.GoToScene(target.to_dali(), scene))

    # --- configuration -----------------------------------------------------------------------------------

    async def add_to_group(self, short: int, group: int) -> None:
        """ADD TO GROUP (a send-twice command: the gateway repeats it within 100 ms)."""
        await self.send(gear.AddToGroup(Target.short(short).to_dali(), group))

    async def remove_from_group(self, short: int, group: int) -> None:
        """REMOVE FROM GROUP (send-twice)."""
        await self.send(gear.RemoveFromGroup(Target.short(short).to_dali(), group))

    # --- queries -----------------------------------------------------------------------------------------

    async def query_byte(self, cmd: command.Command) -> int:
        """Send a query that needs one answer; raise :class:`NoAnswer` or :class:`AnswerCollision` otherwise."""
        answer = await self.send(cmd)
        if answer is None or answer.kind == AnswerKind.NO_ANSWER:
            raise NoAnswer(f"line {self.line}: no answer to {type(cmd).__name__} for {cmd.destination}")
        if answer.kind == AnswerKind.COLLISION:
            raise AnswerCollision(f"line {self.line}: several gear answered {type(cmd).__name__} for {cmd.destination}")
        assert answer.value is not None
        return answer.value

    async def query_status(self, short: int) -> GearStatus:
        """QUERY STATUS of one gear (lamp failure, gear failure, ...)."""
        return GearStatus.from_byte(await self.query_byte(gear.QueryStatus(Target.short(short).to_dali())))

    async def query_actual_level(self, short: int) -> int:
        """QUERY ACTUAL LEVEL of one gear (arc level; 255 while the level is unknown, e.g. during start-up)."""
        return await self.query_byte(gear.QueryActualLevel(Target.short(short).to_dali()))

    async def query_groups(self, short: int) -> frozenset[int]:
        """QUERY GROUPS 0-7 and 8-15 of one gear."""
        address = Target.short(short).to_dali()
        low = await self.query_byte(gear.QueryGroupsZeroToSeven(address))
        high = await self.query_byte(gear.QueryGroupsEightToFifteen(address))
        return groups_from_bytes(low, high)

    async def gear_present(self, target: Target) -> bool:
        """QUERY CONTROL GEAR PRESENT: a collision also means yes (several gear answered)."""
        answer = await self.send(gear.QueryControlGearPresent(target.to_dali()))
        return answer is not None and answer.kind != AnswerKind.NO_ANSWER
