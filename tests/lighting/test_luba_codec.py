"""LUBA codec: the worked bytes of protocols.md §2, round trips, and a stream decoder that resynchronises."""

from __future__ import annotations

import pytest
from dali.address import GearShort
from dali.gear.general import DAPC, QueryStatus
from hypothesis import given
from hypothesis import strategies as st

from drivers.dali import luba_codec as luba

WORKED_DAPC = bytes.fromhex("59 32 07 00 10 02 0a fe 00 00 d3")
WORKED_QUERY_STATUS = bytes.fromhex("59 32 07 00 10 05 0b 90 00 00 bb")
WORKED_ACCEPTED = bytes.fromhex("59 33 02 07 00 36")
WORKED_ANSWER = bytes.fromhex("59 31 05 12 40 00 88 04 ea")


def test_dapc_short_5_to_254_matches_worked_bytes() -> None:
    data = bytes(DAPC(GearShort(5), 254).frame.as_byte_sequence)
    assert luba.AddFrame(line=0, nbits=16, data=data, priority=2).encode().encode() == WORKED_DAPC


def test_query_status_short_5_matches_worked_bytes() -> None:
    data = bytes(QueryStatus(GearShort(5)).frame.as_byte_sequence)
    assert luba.AddFrame(line=0, nbits=16, data=data, priority=5).encode().encode() == WORKED_QUERY_STATUS


def test_accepted_reply_matches_worked_bytes() -> None:
    assert luba.FrameAccepted(7).encode().encode() == WORKED_ACCEPTED
    [message] = luba.StreamDecoder().feed(WORKED_ACCEPTED)
    assert isinstance(message, luba.Message)
    assert luba.decode_add_frame_reply(message.payload) == luba.FrameAccepted(7)


def test_answer_event_matches_worked_bytes() -> None:
    [message] = luba.StreamDecoder().feed(WORKED_ANSWER)
    assert isinstance(message, luba.Message)
    event = luba.decode_event(message.payload)
    assert event == luba.FrameReceived(line=0, data=b"\x04", tick=0x1240)
    assert luba.encode_event(event).encode() == WORKED_ANSWER


def test_decoded_add_frame_round_trips() -> None:
    [message] = luba.StreamDecoder().feed(WORKED_QUERY_STATUS)
    assert isinstance(message, luba.Message)
    request = luba.AddFrame.decode(message.payload)
    assert request == luba.AddFrame(line=0, nbits=16, data=bytes([0x0B, 0x90]), priority=5, send_twice=False)


def test_send_twice_flag_is_bit_7_of_mode() -> None:
    message = luba.AddFrame(line=3, nbits=16, data=b"\x01\x62", priority=1, send_twice=True).encode()
    assert message.payload[2] == 0x81
    assert luba.AddFrame.decode(message.payload).send_twice


def test_refusal_carries_one_byte() -> None:
    message = luba.FrameRefused(luba.TxError.BUS_VOLTAGE_ERROR).encode()
    assert message.payload == b"\x01"
    assert luba.decode_add_frame_reply(message.payload) == luba.FrameRefused(luba.TxError.BUS_VOLTAGE_ERROR)


@pytest.mark.parametrize(
    "event",
    [
        luba.FrameSent(line=2, tx_id=9, data=b"\x0a\xfe", tick=513),
        luba.FrameReceived(line=1, data=b"\xff", tick=65535),
        luba.FrameError(line=3, error=luba.ReceiveError.FRAMING_ERROR, tick=7),
        luba.BusPower(line=0, state=luba.BusPowerState.LOST, tick=1),
        luba.BusPower(line=0, state=luba.BusPowerState.RESTORED, tick=2),
    ],
)
@pytest.mark.parametrize(
    "event_filter", [luba.EventFilter.NONE, luba.EventFilter.NO_TICK_FIELD | luba.EventFilter.NO_LINE_FIELD]
)
def test_events_round_trip(event: luba.Event, event_filter: luba.EventFilter) -> None:
    decoded = luba.decode_event(luba.encode_event(event, event_filter).payload, event_filter)
    if event_filter & luba.EventFilter.NO_TICK_FIELD:
        assert decoded is not None
        assert decoded.tick == 0 and decoded.line == 0
    else:
        assert decoded == event


def test_frame_sent_event_layout_is_what_python_dali_reads() -> None:
    """python-dali reads payload[4] as the transmit id and payload[5:] as the frame."""
    payload = luba.encode_event(luba.FrameSent(line=0, tx_id=7, data=b"\x0a\xfe", tick=1)).payload
    assert payload[4] == 7 and payload[5:] == b"\x0a\xfe"
    assert payload[3] >> 6 == 0


def test_device_info_and_settings_and_status_round_trip() -> None:
    info = luba.DeviceInfo(gtin=9010342012345, serial=42, pcb_version=3, assembly_version=4, article_number=24166096)
    assert len(info.encode().payload) == 20
    assert luba.DeviceInfo.decode(info.encode().payload) == info
    settings = luba.Settings(event_filter=luba.EventFilter.NO_BUFFER_EVENTS | luba.EventFilter.NO_MACRO_EVENTS)
    assert settings.encode().payload == bytes([0, 0b00010010, 0])
    assert luba.Settings.decode(settings.encode().payload) == settings
    status = luba.LineStatus(line=2, bus_voltage_error=True, tick=5, last_tx_id=9, queued=1)
    assert luba.LineStatus.decode(status.encode().payload) == status


def test_stream_decoder_skips_garbage_and_bad_checksums() -> None:
    bad = bytearray(WORKED_ACCEPTED)
    bad[-1] ^= 0xFF
    items = luba.StreamDecoder().feed(b"\x00\x13" + bytes(bad) + WORKED_ANSWER)
    messages = [i for i in items if isinstance(i, luba.Message)]
    errors = [i for i in items if isinstance(i, luba.StreamError)]
    assert [m.cmd for m in messages] == [luba.Cmd.EVENT]
    assert any(e.reason == "bad checksum" for e in errors)
    assert any(e.reason == "bytes outside a message" for e in errors)


@given(st.lists(st.integers(min_value=1, max_value=len(WORKED_DAPC) * 3), min_size=1, max_size=20))
def test_stream_decoder_handles_any_chunking(cuts: list[int]) -> None:
    stream = WORKED_DAPC + WORKED_ACCEPTED + WORKED_ANSWER
    decoder = luba.StreamDecoder()
    got: list[luba.Message | luba.StreamError] = []
    pos = 0
    for cut in cuts:
        got += decoder.feed(stream[pos : pos + cut])
        pos += cut
    got += decoder.feed(stream[pos:])
    assert [m.encode() for m in got if isinstance(m, luba.Message)] == [WORKED_DAPC, WORKED_ACCEPTED, WORKED_ANSWER]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [(b"\x00\x10\x02", "7 bytes"), (b"\x00\x11\x02\x00\x00\x00\x00", "17 bits")],
)
def test_bad_add_frame_is_named(payload: bytes, needle: str) -> None:
    with pytest.raises(luba.LubaDecodeError, match=needle):
        luba.AddFrame.decode(payload)


def test_bad_event_is_named() -> None:
    with pytest.raises(luba.LubaDecodeError, match="8 bits carries 2 bytes"):
        luba.decode_event(bytes([0, 0, 0, 0x88, 1, 2]))
