"""The DALI driver against the LUBA gateway simulator over a real pty and a real TCP socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from dali.gear.general import AddToGroup, GoToScene, QueryActualLevel

from drivers.dali import luba_codec as luba
from drivers.dali.addressing import Target
from drivers.dali.bus import DaliLine
from drivers.dali.errors import AnswerCollision, BusPowerFailure, GatewayUnavailable, NoAnswer
from drivers.dali.gateway import AnswerKind, LubaGateway
from simulators.dali_gateway import DaliGatewaySimulator

T = TypeVar("T")


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


async def wait_for(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def test_handshake_and_arc_power_by_short_address(dali_sim: DaliGatewaySimulator) -> None:
    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            assert gw.device_info is not None and gw.device_info.article_number == 24166096
            line = DaliLine(gw, 0)
            assert await line.set_percent(Target.short(5), 50) == 229
            assert dali_sim.gear(0, 5).actual_level(time.monotonic()) == 229
            assert dali_sim.gear(0, 4).actual_level(time.monotonic()) == 0
            assert await line.query_actual_level(5) == 229

    run(scenario)


def test_group_and_broadcast_each_cost_one_frame(dali_sim: DaliGatewaySimulator) -> None:
    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            line = DaliLine(gw, 1)
            await line.set_arc(Target.group(1), 200)
            assert dali_sim.frames_on_wire(1) == 1
            levels = [dali_sim.gear(1, s).actual_level(time.monotonic()) for s in range(8)]
            assert levels == [0, 0, 0, 0, 200, 200, 200, 200]
            await line.set_arc(Target.broadcast(), 100)
            assert dali_sim.frames_on_wire(1) == 2
            assert {dali_sim.gear(1, s).actual_level(time.monotonic()) for s in range(8)} == {100}
            assert dali_sim.frames_on_wire(0) == 0

    run(scenario)


def test_off_recall_and_scenes(dali_sim: DaliGatewaySimulator) -> None:
    dali_sim.gear(0, 2).scenes[3] = 170
    dali_sim.gear(0, 2).min_level = 85

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            line = DaliLine(gw, 0)
            await line.recall_max(Target.short(2))
            assert await line.query_actual_level(2) == 254
            await line.recall_min(Target.short(2))
            assert await line.query_actual_level(2) == 85
            await line.go_to_scene(Target.short(2), 3)
            assert await line.query_actual_level(2) == 170
            await line.off(Target.short(2))
            assert await line.query_actual_level(2) == 0
            await line.send(GoToScene(Target.short(2).to_dali(), 4))  # not in scene 4: unchanged
            assert await line.query_actual_level(2) == 0

    run(scenario)


def test_status_bits_tell_lamp_and_gear_failure(dali_sim: DaliGatewaySimulator) -> None:
    dali_sim.gear(0, 1).lamp_failure = True
    dali_sim.gear(0, 3).gear_failure = True

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            line = DaliLine(gw, 0)
            await line.set_arc(Target.broadcast(), 254)
            lamp, gear_fault, healthy = [await line.query_status(s) for s in (1, 3, 0)]
            assert lamp.lamp_failure and not lamp.gear_failure and lamp.faults == ["LAMP_FAILURE"]
            assert gear_fault.gear_failure and gear_fault.faults == ["GEAR_FAILURE"]
            assert healthy.faults == [] and healthy.arc_power_on and not healthy.power_failure

    run(scenario)


def test_no_answer_collision_and_answer_are_told_apart(dali_sim: DaliGatewaySimulator) -> None:
    dali_sim.gear(0, 6).mute = True
    dali_sim.add_gear(0, 7)  # a second gear at short address 7

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            line = DaliLine(gw, 0)
            with pytest.raises(NoAnswer, match="QueryStatus"):
                await line.query_status(6)
            with pytest.raises(NoAnswer):
                await line.query_status(40)  # nobody there
            with pytest.raises(AnswerCollision, match="several gear"):
                await line.query_actual_level(7)
            assert (await line.query_status(5)).faults == []
            assert await line.gear_present(Target.group(0))  # four gear answer at once: a collision means yes
            assert not await line.gear_present(Target.short(40))

    run(scenario)


def test_add_to_group_needs_the_frame_twice(dali_sim: DaliGatewaySimulator) -> None:
    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            line = DaliLine(gw, 0)
            once = bytes(AddToGroup(Target.short(0).to_dali(), 9).frame.as_byte_sequence)
            await gw.transmit(0, once, query=False, send_twice=False)
            assert await line.query_groups(0) == frozenset({0})
            await line.add_to_group(0, 9)
            assert await line.query_groups(0) == frozenset({0, 9})
            assert 9 in dali_sim.gear(0, 0).groups
            await line.remove_from_group(0, 0)
            assert await line.query_groups(0) == frozenset({9})

    run(scenario)


def test_pipelined_queries_are_matched_to_their_gear(dali_sim: DaliGatewaySimulator) -> None:
    for short in range(8):
        dali_sim.gear(1, short).level_to = 10 + short * 20

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2, window=8) as gw:
            line = DaliLine(gw, 1)
            dali_sim.gear(1, 3).mute = True
            answers = await asyncio.gather(
                *(line.send(QueryActualLevel(Target.short(s).to_dali())) for s in range(8)),
            )
            kinds = [a.kind if a else None for a in answers]
            assert kinds == [AnswerKind.ANSWER] * 3 + [AnswerKind.NO_ANSWER] + [AnswerKind.ANSWER] * 4
            assert [a.value for a in answers if a and a.value is not None] == [10, 30, 50, 90, 110, 130, 150]

    run(scenario)


def test_bus_power_loss_is_reported_and_refuses_frames(dali_sim: DaliGatewaySimulator) -> None:
    async def scenario() -> None:
        seen: list[tuple[int, bool]] = []
        async with LubaGateway(dali_sim.url, lines=2, on_bus_power=lambda ln, ok, _: seen.append((ln, ok))) as gw:
            line0, line1 = DaliLine(gw, 0), DaliLine(gw, 1)
            await line0.set_arc(Target.broadcast(), 100)
            dali_sim.set_bus_power(0, False)
            await wait_for(lambda: seen == [(0, False)])
            assert gw.bus_powered(0) is False
            with pytest.raises(BusPowerFailure, match="line 0"):
                await line0.set_arc(Target.short(1), 50)
            assert (await gw.read_line_status(0)).bus_voltage_error
            await line1.set_arc(Target.short(1), 50)  # the other line is unaffected
            assert await line1.query_actual_level(1) == 50
            dali_sim.set_bus_power(0, True)
            await wait_for(lambda: seen == [(0, False), (0, True)])
            assert await line0.query_actual_level(2) == 254  # gear went to their system failure level
            assert not (await gw.read_line_status(0)).bus_voltage_error

    run(scenario)


def test_socket_url_and_reconnect_after_the_gateway_comes_back(dali_sim_tcp: DaliGatewaySimulator) -> None:
    port = int(dali_sim_tcp.url.rsplit(":", 1)[1])

    async def scenario() -> None:
        async with LubaGateway(dali_sim_tcp.url, reconnect_delay_s=(0.05, 0.2)) as gw:
            line = DaliLine(gw, 0)
            await line.set_arc(Target.short(3), 77)
            assert await line.query_actual_level(3) == 77
            dali_sim_tcp.stop()
            await wait_for(lambda: not gw.connected)
            with pytest.raises(GatewayUnavailable):
                await line.set_arc(Target.short(3), 10)
            replacement = DaliGatewaySimulator(lines=1, gear_per_line=4, tcp=("127.0.0.1", port))
            replacement.start()
            try:
                await wait_for(lambda: gw.connected)
                await line.set_arc(Target.short(3), 12)
                assert await line.query_actual_level(3) == 12
            finally:
                await gw.close()
                replacement.stop()

    run(scenario)


def test_bad_requests_are_named(dali_sim: DaliGatewaySimulator) -> None:
    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            with pytest.raises(ValueError, match="line 5 out of range"):
                await gw.transmit(5, b"\x01\x00", query=False)
            with pytest.raises(ValueError, match="short address 64"):
                Target.short(64)
            with pytest.raises(ValueError, match="group 16"):
                Target.group(16)
            with pytest.raises(ValueError, match="arc level 300"):
                await DaliLine(gw, 0).set_arc(Target.short(1), 300)

    run(scenario)


def test_unreachable_port_is_a_clear_error() -> None:
    async def scenario() -> None:
        with pytest.raises(GatewayUnavailable, match="/dev/does-not-exist"):
            await LubaGateway("/dev/does-not-exist").start()

    run(scenario)


def test_gateway_refusal_codes_are_kept() -> None:
    assert luba.TxError(4).name == "SEND_BUFFER_FULL"
