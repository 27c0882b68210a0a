"""PA driver against the simulator over a real pty and a real TCP socket: answers, refusals, retries, events,
silence, unplug/replug."""

from __future__ import annotations

import time

import pytest

from drivers.pa import codec
from drivers.pa.driver import ConnectionState, PaController
from drivers.pa.errors import ControllerRefused, ControllerUnreachable, PortClosed
from drivers.transport import wire_time_s
from simulators.pa import PaControllerSimulator
from tests.pa.conftest import make_sim, run, until

EVAC = codec.StartCall(frozenset({3}), 250, chime=1, messages=(0x01,), handling=codec.Handling.NON_PARTIAL)


def test_poll_call_and_zone_status(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        events: list[codec.Event] = []
        drv = PaController(sim.url, on_event=events.append)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            assert (await drv.poll()).mode is codec.Mode.NORMAL
            assert (await drv.device_info()).device_type == "CITYEDGE-PA-SIM"
            call = await drv.start_call(codec.StartCall(frozenset({1, 2}), 100, chime=1, messages=(0x10,)))
            zones = await drv.zone_status()
            assert zones[1] == codec.ZoneEntry("B", call, 100) and zones[3] == codec.ZoneEntry("I")
            assert len(zones) == 8
            await until(lambda: any(getattr(e, "state", None) is codec.CallState.END for e in events), what="END")
            states = [e.state for e in events if isinstance(e, codec.CallEvent)]
            assert states == [
                codec.CallState.START,
                codec.CallState.STARTCHIME,
                codec.CallState.MESSAGES,
                codec.CallState.END,
            ]
            assert events[-1] == codec.CallEvent(call, codec.CallState.END, frozenset({1, 2}))
        finally:
            await drv.close()

    run(body())


def test_refusals_carry_code_zones_and_sentence(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        drv = PaController(sim.url)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            await drv.start_call(EVAC)
            lower = codec.StartCall(frozenset({2, 3}), 240, messages=(0x02,), handling=codec.Handling.NON_PARTIAL)
            with pytest.raises(ControllerRefused) as busy:
                await drv.start_call(lower)
            assert busy.value.code == "NAK04" and busy.value.nak.zones == {3}
            assert busy.value.sentence == "zone 3 is busy with a call of equal or higher priority"
            with pytest.raises(ControllerRefused) as lock:
                await drv.start_call(codec.StartCall(frozenset({5}), 100, messages=(0x10,)))
            assert lock.value.code == "NAK07" and "emergency mode" in lock.value.sentence
            with pytest.raises(ControllerRefused) as unknown:
                await drv.start_call(codec.StartCall(frozenset({5}), 250, messages=(0x77,)))
            assert unknown.value.code == "NAK06"
            with pytest.raises(ControllerRefused) as no_call:
                await drv.abort_call(0x0999)
            assert no_call.value.code == "NAK08"
            sim.inject_fault("LINE_OPEN", "Z06")
            with pytest.raises(ControllerRefused) as fault:
                await drv.start_call(codec.StartCall(frozenset({6}), 250, messages=(1,), handling=EVAC.handling))
            assert fault.value.code == "NAK05" and fault.value.sentence.startswith("zone 6 is in fault")
        finally:
            await drv.close()

    run(body())


def test_retries_after_nak_checksum_then_succeeds(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        drv = PaController(sim.url)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            sim.garble(rx=2)
            assert (await drv.poll()).active_calls == 0
            assert drv.counters["retries"] == 2
            sim.garble(rx=3)
            with pytest.raises(ControllerUnreachable) as err:
                await drv.poll()
            assert err.value.sentence.startswith("controller unreachable: no valid answer to PG after 3 tries")
            assert "checksum" in err.value.sentence
        finally:
            await drv.close()

    run(body())


def test_garbled_reply_is_retried_and_the_call_starts_once(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        drv = PaController(sim.url)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            sim.garble(tx=1)
            call = await drv.start_call(codec.StartCall(frozenset({4}), 100, messages=(0x11,)))
            assert drv.counters["retries"] == 1 and drv.counters["protocol_errors"] >= 1
            assert list(sim.snapshot()["calls"]) == [f"{call:04X}"]
        finally:
            await drv.close()

    run(body())


def test_silent_controller_is_reported_unreachable_then_recovers(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        changes: list[tuple[ConnectionState, str]] = []
        drv = PaController(sim.url, on_connection=lambda s, r: changes.append((s, r)))
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            sim.set_silent(True)
            with pytest.raises(ControllerUnreachable) as err:
                await drv.start_call(codec.StartCall(frozenset({1}), 100, messages=(0x10,)))
            assert "after 3 tries (no answer within" in err.value.sentence
            assert drv.state is ConnectionState.UNREACHABLE
            sim.set_silent(False)
            await drv.poll()
            assert [s for s, _ in changes] == [
                ConnectionState.CONNECTED,
                ConnectionState.UNREACHABLE,
                ConnectionState.CONNECTED,
            ]
        finally:
            await drv.close()

    run(body())


def test_events_are_acked_and_resends_deduplicated(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        events: list[codec.Event] = []
        drv = PaController(sim.url, on_event=events.append)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            sim.drop_acks(2)
            fid = sim.inject_fault("AMP", "A02")
            await until(lambda: drv.counters["duplicates"] == 2, what="two resends of the fault event")
            assert events == [codec.FaultEvent(fid, True, codec.FaultType.AMP, codec.Where("A", 2))]
            sim.resolve_fault(fid)
            await until(lambda: len(events) == 2, what="the RESOLVED event")
            await until(lambda: sim.session.events._out is None, what="the controller to see the ACK")
            assert (await drv.poll()).mode is codec.Mode.NORMAL
            assert [r.active for r in await drv.fault_list()] == [False]
        finally:
            await drv.close()

    run(body())


def test_unplug_and_replug_reconnects(sim: PaControllerSimulator) -> None:
    async def body() -> None:
        changes: list[ConnectionState] = []
        drv = PaController(sim.url, on_connection=lambda s, r: changes.append(s), reopen_interval_s=0.1)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            sim.unplug()
            await drv.wait_state(ConnectionState.DISCONNECTED, 10)
            with pytest.raises(PortClosed) as err:
                await drv.poll()
            assert err.value.sentence.startswith("controller unreachable: serial port")
            sim.plug()
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            assert (await drv.poll()).mode is codec.Mode.NORMAL
            assert changes == [ConnectionState.CONNECTED, ConnectionState.DISCONNECTED, ConnectionState.CONNECTED]
        finally:
            await drv.close()

    run(body())


def test_simulator_honours_the_baud_rate(tmp_path, transport: str) -> None:  # type: ignore[no-untyped-def]
    """At 1200 baud a poll cannot be answered faster than its bytes and the reply's take on the wire."""
    sim = make_sim(tmp_path, transport, baudrate=1200)
    sim.start()

    async def body() -> float:
        drv = PaController(sim.url, baudrate=1200)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            t0 = time.monotonic()
            await drv.poll()
            return time.monotonic() - t0
        finally:
            await drv.close()

    try:
        elapsed = run(body())
    finally:
        sim.stop()
        sim.cleanup()
    poll = len(codec.encode_frame(codec.command_frame(codec.Poll(), 1, 2)))
    answer = len(codec.encode_frame(codec.Frame(1, "PG", 2, ("N", "0", "0"), codec.Status.ACK)))
    assert elapsed >= wire_time_s(poll + answer, 1200)
