"""The PA head-end simulator on its own: stacked calls, COMMS supervision, the control port, the program."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.pa import codec
from drivers.pa.driver import ConnectionState, PaController
from simulators.pa import PaControllerSimulator
from simulators.pa.store import Store
from tests.pa.conftest import make_sim, run, until

ROOT = Path(__file__).resolve().parents[2]


def call_events(events: list[codec.Event], call_id: int) -> list[tuple[codec.CallState, frozenset[int]]]:
    return [(e.state, e.zones) for e in events if isinstance(e, codec.CallEvent) and e.call_id == call_id]


def test_stacked_call_replays_missed_zones_and_times_out(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, "tcp", stacked_timeout_s=1.5)
    sim.start()

    async def body() -> None:
        events: list[codec.Event] = []
        drv = PaController(sim.url, on_event=events.append)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            holder = await drv.start_call(codec.StartCall(frozenset({2}), 200, messages=(0x10,)))
            blocker = await drv.start_call(codec.StartCall(frozenset({3}), 200, messages=(0x11,), repeat=9))
            stacked = await drv.start_call(
                codec.StartCall(frozenset({1, 2, 3}), 100, messages=(0x10,), handling=codec.Handling.STACKED)
            )
            await until(lambda: (codec.CallState.REPLAY, frozenset({2})) in call_events(events, stacked), what="replay")
            await until(
                lambda: any(isinstance(e, codec.TimeoutEvent) and e.call_id == stacked for e in events), what="timeout"
            )
            timeout = next(e for e in events if isinstance(e, codec.TimeoutEvent))
            assert timeout.zones == {3}
            await until(lambda: (codec.CallState.END, frozenset({1, 2})) in call_events(events, stacked), what="end")
            assert call_events(events, holder)[-1] == (codec.CallState.END, frozenset({2}))
            await drv.abort_call(blocker)
        finally:
            await drv.close()

    try:
        run(body())
    finally:
        sim.stop()
    calls = {c["call_id"]: c for c in sim.finished_calls()}
    assert calls["0003"]["zones_heard"] == [1, 2]
    sim.cleanup()


def test_comms_fault_after_silence_from_the_host(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, "tcp", comms_timeout_s=0.5)
    sim.start()

    async def body() -> None:
        events: list[codec.Event] = []
        drv = PaController(sim.url, on_event=events.append, poll_interval_s=5.0)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            await until(lambda: any(isinstance(e, codec.FaultEvent) for e in events), what="COMMS fault")
            fault = events[0]
            assert isinstance(fault, codec.FaultEvent) and fault.new and fault.kind is codec.FaultType.COMMS
            assert (await drv.poll()).mode is codec.Mode.NORMAL  # the poll resolved it
            await until(lambda: len(events) == 2, what="RESOLVED")
            assert events[1] == codec.FaultEvent(fault.fault_id, False, codec.FaultType.COMMS, codec.Where("SYS"))
            await drv.reset_faults()
            assert await drv.fault_list() == []
        finally:
            await drv.close()

    try:
        run(body())
    finally:
        sim.stop()
        sim.cleanup()


def test_unacknowledged_events_latch_a_comms_fault(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        events: list[codec.Event] = []
        drv = PaController(tcp_sim.url, on_event=events.append)
        await drv.start()
        try:
            await drv.wait_state(ConnectionState.CONNECTED, 10)
            tcp_sim.drop_acks(4)  # the first send and all three resends go unanswered
            tcp_sim.inject_fault("MAINS", "SYS")
            await until(lambda: tcp_sim.session.events.held, what="the controller giving up")
            await drv.poll()  # the host is heard again: the queue resumes
            kinds = [e.kind for e in events if isinstance(e, codec.FaultEvent)]
            await until(lambda: codec.FaultType.COMMS in [getattr(e, "kind", None) for e in events], what="COMMS")
            assert (
                kinds[0] is codec.FaultType.MAINS and drv.counters["duplicates"] == 4
            )  # three resends, then one more once heard
        finally:
            await drv.close()

    run(body())


def test_control_port(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, "tcp", control=("127.0.0.1", 0))
    sim.start()

    async def body() -> None:
        assert sim.control is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.control.port)

        async def ask(line: str) -> str:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            return (await reader.readline()).decode().strip()

        try:
            assert (await ask("help")).startswith("ok ")
            status = json.loads((await ask("status"))[3:])
            assert status["mode"] == "N" and status["zones"]["1"] == "I"
            assert await ask("fault LINE_OPEN Z03") == "ok 0001"
            assert json.loads((await ask("status"))[3:])["zones"]["3"] == "F"
            assert await ask("resolve 0001") == "ok"
            assert (await ask("fault FIRE Z03")).startswith("error ")
            assert (await ask("fault LINE_OPEN Q3")).startswith("error ")
            assert await ask("garble rx 2") == "ok" and sim.session.faults.garble_rx == 2
            assert await ask("silent on") == "ok" and sim.session.faults.silent
            assert await ask("silent off") == "ok"
            assert await ask("unplug") == "ok"
            assert (await ask("plug")).startswith("ok socket://")
            assert await ask("calls") == "ok 0"
            assert (await ask("explode")).startswith("error unknown command")
        finally:
            writer.close()
            await writer.wait_closed()

    try:
        run(body())
    finally:
        sim.stop()
        sim.cleanup()


def test_store_file(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"messages": {"0A": {"name": "Hello", "duration_s": 1.5}}}))
    store = Store.from_json(path)
    assert store.messages[0x0A].name == "Hello" and store.chimes  # default chimes kept
    path.write_text(json.dumps({"messages": {"0A": {"duration_s": 1.5}}}))
    with pytest.raises(ValueError, match="cannot read PA message store"):
        Store.from_json(path)


def test_program_runs_until_signalled(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "simulators", "pa", "--tcp", "127.0.0.1:0", "--zones", "4"),
            *("--recordings", str(tmp_path / "rec"), "--pty-link", str(tmp_path / "tty")),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["url"].startswith("socket://127.0.0.1:") and info["zones"] == 4

        async def body() -> None:
            drv = PaController(info["url"])
            await drv.start()
            try:
                await drv.wait_state(ConnectionState.CONNECTED, 10)
                assert (await drv.device_info()).device_type == "CITYEDGE-PA-SIM"
            finally:
                await drv.close()

        run(body())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
