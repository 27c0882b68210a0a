"""Announcement engine ↔ driver ↔ simulator, end to end without MQTT: what each zone heard, per the WAVs."""

from __future__ import annotations

import time

import pytest

from drivers.pa.codec import CallEvent, CallState
from drivers.pa.driver import ConnectionState
from edge.pa.errors import PaRejected
from edge.pa.model import PreemptPolicy, Request, State
from simulators.pa import PaControllerSimulator
from simulators.pa.store import message_freq
from tests.pa.audio_check import calls_by_id, dominant_hz, loud_s, window, zone_wav
from tests.pa.conftest import run, until
from tests.pa.engine_env import engine_for

EVAC, ALERT, ANNOUNCE, ROUTINE = 250, 230, 160, 80


def message_playing_for(sim: PaControllerSimulator) -> float:
    """Seconds since the controller reported a call's messages starting (0 before)."""
    starts = [t for t, ev in sim.events_sent() if isinstance(ev, CallEvent) and ev.state is CallState.MESSAGES]
    return time.monotonic() - starts[-1] if starts else 0.0


def near(hz: float, target: float, tol: float = 15.0) -> bool:
    return abs(hz - target) <= tol


def test_announcement_plays_in_exactly_the_chosen_zones(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            zones = eng.resolve_zones(group="Bridges")
            ann = eng.submit(Request(zones=zones, priority=ANNOUNCE, message_ids=(0x10,)))
            assert ann.state is State.QUEUED
            final = await eng.wait(ann.id, 20)
            assert final.state is State.COMPLETED
            assert {z: o.state for z, o in final.zones.items()} == {2: State.COMPLETED, 4: State.COMPLETED}
            for zone in (2, 4):
                history = final.zones[zone].history
                assert [t.state for t in history] == [State.QUEUED, State.PLAYING, State.COMPLETED]
                assert history[0].at <= history[1].at <= history[2].at
            assert final.zones[2].plays == 1

    run(body())
    calls = list(calls_by_id(tcp_sim.recordings).values())
    assert len(calls) == 1 and calls[0]["zones_heard"] == [2, 4] and calls[0]["outcome"] == "END"
    assert sorted(p.name for p in tcp_sim.recordings.glob("*.wav")) == [
        f"call-{calls[0]['call_id']}-zone02.wav",
        f"call-{calls[0]['call_id']}-zone04.wav",
    ]
    for zone in (2, 4):
        rate, s = zone_wav(tcp_sim.recordings, calls[0], zone)
        assert near(dominant_hz(window(s, rate, 0.0, 0.1), rate), 880)  # chime, first tone
        assert near(dominant_hz(window(s, rate, 0.1, 0.2), rate), 660)  # chime, second tone
        assert near(dominant_hz(window(s, rate, 0.25, 0.65), rate), message_freq(0x10))
        assert 0.6 <= loud_s(s, rate) <= 0.75


def test_emergency_preempts_routine_only_in_shared_zones(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> tuple[str, str]:
        async with engine_for(tcp_sim) as (eng, _seen):
            routine = eng.submit(Request(zones=frozenset({1, 2, 3}), priority=ROUTINE, message_ids=(0x11,)))
            await until(lambda: eng.get(routine.id).state is State.PLAYING, what="routine playing")
            await until(lambda: message_playing_for(tcp_sim) >= 0.4, what="the routine message under way")
            evac = eng.submit(Request(zones=frozenset({3, 4}), priority=EVAC, message_ids=(0x01,)))
            e = await eng.wait(evac.id, 20)
            r = await eng.wait(routine.id, 20)
            assert {z: o.state for z, o in e.zones.items()} == {3: State.COMPLETED, 4: State.COMPLETED}
            assert {z: o.state for z, o in r.zones.items()} == {
                1: State.COMPLETED,
                2: State.COMPLETED,
                3: State.PREEMPTED,
            }
            assert r.zones[3].reason == f"pre-empted by {evac.id} (evacuate)"
            assert r.state is State.PREEMPTED
            return r.call_ids[0], e.call_ids[0]

    routine_call, evac_call = (f"{c:04X}" for c in run(body()))
    calls = calls_by_id(tcp_sim.recordings)
    assert calls[routine_call]["zones_heard"] == [1, 2, 3]
    assert calls[evac_call]["zones_heard"] == [3, 4]
    assert {p.name.split("-zone")[1] for p in tcp_sim.recordings.glob("*.wav")} == {
        "01.wav",
        "02.wav",
        "03.wav",
        "04.wav",
    }
    cut = calls[evac_call]["started_monotonic"] - calls[routine_call]["started_monotonic"]
    rate, z1 = zone_wav(tcp_sim.recordings, calls[routine_call], 1)
    _, z3 = zone_wav(tcp_sim.recordings, calls[routine_call], 3)
    assert loud_s(z1, rate) > 3.0  # chime and the whole 3 s message
    assert loud_s(window(z3, rate, 0, cut), rate) >= cut - 0.1  # heard the routine until pre-empted …
    assert loud_s(window(z3, rate, cut + 0.05, 99), rate) == 0.0  # … then silence in this call
    assert near(dominant_hz(window(z3, rate, 0.3, cut - 0.05), rate), message_freq(0x11))
    for zone in (3, 4):
        _, s = zone_wav(tcp_sim.recordings, calls[evac_call], zone)
        assert near(dominant_hz(window(s, rate, 0.0, 0.15), rate), 1200)  # alert chime
        assert near(dominant_hz(window(s, rate, 0.2, 0.9), rate), message_freq(0x01))


def test_faulted_zone_fails_while_the_others_complete(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, seen):
            tcp_sim.inject_fault("LINE_OPEN", "Z02")
            await until(lambda: any(f.zones == (2,) and f.active for f in eng.faults()), what="fault report")
            ann = eng.submit(Request(zones=frozenset({1, 2, 3}), priority=ANNOUNCE, message_ids=(0x10,)))
            final = await eng.wait(ann.id, 20)
            assert {z: o.state for z, o in final.zones.items()} == {
                1: State.COMPLETED,
                2: State.FAILED,
                3: State.COMPLETED,
            }
            assert final.zones[2].reason == "zone 2 is in fault: loudspeaker line open circuit on zone 2"
            assert final.state is State.FAILED
            assert seen.faults[-1].description == "loudspeaker line open circuit on zone 2"

            # an amplifier fault in the middle of an announcement: its zones drop out, the others carry on
            long = eng.submit(Request(zones=frozenset({1, 3}), priority=ANNOUNCE, message_ids=(0x11,)))
            await until(lambda: eng.get(long.id).state is State.PLAYING, what="playing")
            tcp_sim.inject_fault("AMP", "A02")  # feeds zones 3 and 4
            final = await eng.wait(long.id, 20)
            assert final.zones[1].state is State.COMPLETED
            assert final.zones[3].state is State.FAILED and "amplifier failure" in final.zones[3].reason
            await until(lambda: eng.zone_snapshot(4).controller == "F", what="zone status refreshed")

    run(body())
    heard = sorted({z for c in calls_by_id(tcp_sim.recordings).values() for z in c["zones_heard"]})
    assert heard == [1, 3]


@pytest.mark.parametrize("transport", ["pty", "tcp"])
def test_controller_unplugged_mid_announcement_then_recovery(sim: PaControllerSimulator) -> None:
    async def body() -> str:
        async with engine_for(sim) as (eng, seen):
            # long enough (10 plays of 3 s) to be still playing at the controller after the replug
            ann = eng.submit(Request(zones=frozenset({1, 2}), priority=ROUTINE, message_ids=(0x11,), repeat=9))
            await until(lambda: eng.get(ann.id).state is State.PLAYING, what="playing")
            sim.unplug()
            final = await eng.wait(ann.id, 20)
            assert final.state is State.FAILED
            for zone in (1, 2):
                assert final.zones[zone].reason.startswith("controller unreachable: the controller's serial port")
            assert [c.connection for c in seen.controller][-1] == "disconnected"
            refused = eng.submit(Request(zones=frozenset({3}), priority=ROUTINE, message_ids=(0x10,)))
            assert (await eng.wait(refused.id, 10)).zones[3].reason.startswith("controller unreachable")
            sim.plug()
            await eng.driver.wait_state(ConnectionState.CONNECTED, 20)
            stale = f"{final.call_ids[0]:04X}"
            await until(lambda: stale not in sim.snapshot()["calls"], what="stale call aborted after reconnect")
            again = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x10,)))
            assert (await eng.wait(again.id, 20)).state is State.COMPLETED
            return stale

    stale = run(body())
    assert calls_by_id(sim.recordings)[stale]["outcome"] == "ABORT"


def test_spoken_text_is_heard_in_the_zones(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> float:
        async with engine_for(tcp_sim) as (eng, _seen):
            ann = eng.submit(
                Request(zones=eng.resolve_zones(group="Cheapside"), priority=ANNOUNCE, text="Bridge closed.")
            )
            final = await eng.wait(ann.id, 30)
            assert final.state is State.COMPLETED, final
            assert final.content == "speech: 'Bridge closed.'"
            pcm = await eng.tts.synthesize("Bridge closed.")
            return pcm.duration_s

    speech_s = run(body())
    (call,) = calls_by_id(tcp_sim.recordings).values()
    assert call["line"] is True and call["zones_heard"] == [5, 6] and call["line_chunks"] > 10
    for zone in (5, 6):
        rate, s = zone_wav(tcp_sim.recordings, call, zone)
        assert near(dominant_hz(window(s, rate, 0.0, 0.1), rate), 880)
        speech = window(s, rate, 0.2, 99)
        voiced = loud_s(speech, rate, threshold=500)
        assert 0.3 * speech_s <= voiced <= 1.2 * speech_s, (voiced, speech_s)
        assert not near(dominant_hz(speech, rate), 880, 5)


def test_equal_priority_queues_and_higher_resumes_policy(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            first = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x10,)))
            second = eng.submit(Request(zones=frozenset({1, 2}), priority=ROUTINE, message_ids=(0x10,)))
            a, b = await eng.wait(first.id, 20), await eng.wait(second.id, 20)
            assert a.state is State.COMPLETED and b.state is State.COMPLETED
            assert b.zones[1].history[1].at >= a.zones[1].history[-1].at  # zone 1 waited its turn
            assert len(b.call_ids) == 2

            resumable = eng.submit(
                Request(zones=frozenset({3, 4}), priority=ROUTINE, message_ids=(0x11,), policy=PreemptPolicy.RESUME)
            )
            await until(lambda: eng.get(resumable.id).state is State.PLAYING, what="playing")
            eng.submit(Request(zones=frozenset({4}), priority=ANNOUNCE, message_ids=(0x10,)))
            r = await eng.wait(resumable.id, 30)
            assert [t.state for t in r.zones[4].history] == [
                State.QUEUED,
                State.PLAYING,
                State.PREEMPTED,
                State.QUEUED,
                State.PLAYING,
                State.COMPLETED,
            ]
            assert r.state is State.COMPLETED

    run(body())


def test_emergency_call_is_resumed_by_the_controller(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            alert = eng.submit(Request(zones=frozenset({1, 2}), priority=ALERT, message_ids=(0x02,), repeat=3))
            await until(lambda: eng.get(alert.id).state is State.PLAYING, what="alert playing")
            evac = eng.submit(Request(zones=frozenset({2}), priority=EVAC, message_ids=(0x01,)))
            assert (await eng.wait(evac.id, 20)).state is State.COMPLETED
            a = await eng.wait(alert.id, 30)
            assert [t.state for t in a.zones[2].history] == [
                State.QUEUED,
                State.PLAYING,
                State.PREEMPTED,
                State.QUEUED,
                State.PLAYING,
                State.COMPLETED,
            ]
            assert a.zones[2].history[-2].reason == "resumed by the controller"
            assert a.state is State.COMPLETED and len(a.call_ids) == 1
            cleared = await eng.all_clear()
            assert cleared["emergency"] == "emergency mode reset"

    run(body())


def test_cancel_all_clear_and_expiry(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            one = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x11,)))
            waits = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x10,), max_wait_s=0.5))
            await until(lambda: eng.get(one.id).state is State.PLAYING, what="playing")
            assert (await eng.wait(waits.id, 10)).zones[1].state is State.EXPIRED
            eng.cancel(one.id)
            c = await eng.wait(one.id, 10)
            assert c.state is State.CANCELLED and c.zones[1].reason == "cancelled by the operator"
            await until(lambda: tcp_sim.snapshot()["calls"] == {}, what="call aborted")

            evac = eng.submit(Request(zones=frozenset({2}), priority=EVAC, message_ids=(0x01,), repeat=9))
            queued = eng.submit(Request(zones=frozenset({2}), priority=EVAC, message_ids=(0x02,)))
            await until(lambda: eng.get(evac.id).state is State.PLAYING, what="evacuation playing")
            result = await eng.all_clear()
            assert sorted(result["cancelled"]) == sorted([evac.id, queued.id])
            assert result["emergency"] == "emergency mode reset"
            assert eng.get(queued.id).zones[2].state is State.CANCELLED
            assert eng.get(evac.id).zones[2].reason == "all clear"
            snap = tcp_sim.snapshot()
            assert snap["mode"] == "N" and snap["calls"] == {}

    run(body())
    outcomes = sorted(c["outcome"] for c in calls_by_id(tcp_sim.recordings).values())
    assert outcomes == ["ABORT", "ABORT"]  # the expired announcement never played


def test_repeat_with_interval_makes_one_call_per_play(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            ann = eng.submit(
                Request(zones=frozenset({7}), priority=ROUTINE, message_ids=(0x12,), repeat=1, interval_s=0.3)
            )
            final = await eng.wait(ann.id, 20)
            assert final.state is State.COMPLETED and final.zones[7].plays == 2 and len(final.call_ids) == 2

    run(body())
    assert [c["zones_heard"] for c in calls_by_id(tcp_sim.recordings).values()] == [[7], [7]]


def test_silent_controller_fails_with_the_reason_then_recovers(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim, poll_interval_s=0.5) as (eng, _seen):
            tcp_sim.set_silent(True)
            ann = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x10,)))
            final = await eng.wait(ann.id, 20)
            assert final.zones[1].reason.startswith("controller unreachable: no valid answer to CS after 3 tries")
            tcp_sim.set_silent(False)
            await eng.driver.wait_state(ConnectionState.CONNECTED, 10)
            ok = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, message_ids=(0x10,)))
            assert (await eng.wait(ok.id, 20)).state is State.COMPLETED

    run(body())


def test_bad_requests_are_rejected_with_a_reason(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _seen):
            cases = [
                (Request(zones=frozenset({9}), priority=1, message_ids=(0x10,)), "unknown_zone"),
                (Request(zones=frozenset({1}), priority=1, message_ids=(0x77,)), "unknown_message"),
                (Request(zones=frozenset({1}), priority=1), "bad_content"),
                (Request(zones=frozenset({1}), priority=1, message_ids=(1,), text="x"), "bad_content"),
                (Request(zones=frozenset({1}), priority=1, text="<speak>x</speak>"), "bad_text"),
                (Request(zones=frozenset({1}), priority=300, message_ids=(1,)), "bad_priority"),
                (Request(zones=frozenset({1}), priority=1, message_ids=(1,), repeat=10), "bad_repeat"),
                (Request(zones=frozenset(), priority=1, message_ids=(1,)), "bad_zones"),
            ]
            for req, code in cases:
                with pytest.raises(PaRejected) as err:
                    eng.submit(req)
                assert err.value.code == code
            with pytest.raises(PaRejected) as err:
                eng.resolve_zones(group="Nowhere")
            assert "All City" in err.value.sentence
            assert eng.active_ids() == []

    run(body())


def test_cancel_while_speech_is_being_prepared(tcp_sim: PaControllerSimulator) -> None:
    async def body() -> None:
        async with engine_for(tcp_sim) as (eng, _):
            ann = eng.submit(Request(zones=frozenset({1}), priority=ROUTINE, text="Please stand clear of the doors."))
            assert eng.active[ann.id].prepare is not None  # espeak-ng still running
            eng.cancel(ann.id, "changed my mind")
            final = await eng.wait(ann.id, 10)
            assert final.state is State.CANCELLED and final.zones[1].reason == "changed my mind"
            assert eng.active_ids() == []

    run(body())
    assert calls_by_id(tcp_sim.recordings) == {}
