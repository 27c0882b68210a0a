"""PA codec: the worked frames of protocols.md byte for byte, round-trips, and every malformed frame kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.pa import codec
from drivers.pa.errors import BadField, ChecksumError, FrameTooLong, LineNoise, TruncatedFrame, UnknownCommand
from drivers.pa.frames import KNOWN_COMMANDS, MAX_FRAME

STX, ETX, ACK, NAK = b"\x02", b"\x03", b"\x06", b"\x15"


def wire(body: str, chk: str, marker: bytes = b"", rest: str = "") -> bytes:
    return STX + body.encode() + marker + rest.encode() + ETX + chk.encode()


# The worked frames of protocols.md §1; every documented checksum agrees with the stated rule.
START = wire("01CS1A0000008A,240,02,11+12,2,P,0", "A7")
ACK_0042 = wire("01CS1A", "64", ACK, ",0042")
NAK_BUSY = wire("01CS1A", "C5", NAK, ",04,00000008")
EVENT = wire("01EV7FCALL,0042,MESSAGES,0000008A", "D3")
EVENT_ACK = wire("01EV80", "6D", ACK)
POLL = wire("01PG1B", "6E")


def test_worked_start_call_round_trips() -> None:
    cmd = codec.StartCall(
        zones=frozenset({2, 4, 8}),
        priority=240,
        chime=2,
        messages=(0x11, 0x12),
        repeat=2,
        handling=codec.Handling.PARTIAL,
    )
    assert codec.encode_frame(codec.command_frame(cmd, 1, 0x1A)) == START
    assert codec.parse_command(codec.parse_frame(START)) == cmd


def test_worked_replies_round_trip() -> None:
    request = codec.parse_frame(START)
    assert codec.encode_frame(codec.reply_frame(request, codec.Ack(("0042",)))) == ACK_0042
    assert codec.read_call_id(codec.parse_reply(codec.parse_frame(ACK_0042))) == 0x42  # type: ignore[arg-type]
    busy = codec.Nak(codec.NakCode.ZONE_BUSY, frozenset({4}))
    assert codec.encode_frame(codec.reply_frame(request, busy)) == NAK_BUSY
    assert codec.parse_reply(codec.parse_frame(NAK_BUSY)) == busy
    assert busy.sentence() == "zone 4 is busy with a call of equal or higher priority"


def test_worked_event_ack_and_poll_round_trip() -> None:
    event = codec.CallEvent(0x42, codec.CallState.MESSAGES, frozenset({2, 4, 8}))
    assert codec.encode_frame(codec.event_frame(event, 1, 0x7F)) == EVENT
    assert codec.parse_event(codec.parse_frame(EVENT)) == event
    ack = codec.ack_frame(codec.Frame(1, "EV", 0x80))
    assert codec.encode_frame(ack) == EVENT_ACK
    assert codec.parse_frame(EVENT_ACK).status is codec.Status.ACK
    assert codec.encode_frame(codec.command_frame(codec.Poll(), 1, 0x1B)) == POLL
    assert codec.parse_command(codec.parse_frame(POLL)) == codec.Poll()


def test_checksum_rule() -> None:
    assert codec.checksum(b"01PG1B\x03") == 0x6E


@pytest.mark.parametrize(
    "command",
    [
        codec.Poll(),
        codec.StartCall(frozenset({1, 32}), 0, line=True, repeat=None, handling=codec.Handling.STACKED, live=True),
        codec.StartCall(frozenset({5}), 255, chime=0xFF, messages=(1,), handling=codec.Handling.NON_PARTIAL),
        codec.StopCall(0xBEEF),
        codec.AbortCall(0),
        codec.ZoneStatusQuery(),
        codec.ZoneStatusQuery(17),
        codec.FaultListQuery(9),
        codec.FaultAcknowledge(),
        codec.FaultReset(),
        codec.EmergencyAcknowledge(),
        codec.EmergencyReset(),
        codec.DeviceType(),
        codec.SetTime(datetime(2025, 3, 1, 12, 30, 5, tzinfo=UTC)),
    ],
)
def test_every_command_round_trips(command: codec.HostCommand) -> None:
    data = codec.encode_frame(codec.command_frame(command, 0x1F, 0xFF))
    assert codec.parse_command(codec.parse_frame(data)) == command


@pytest.mark.parametrize(
    "event",
    [
        codec.CallEvent(1, codec.CallState.STARTCHIME, frozenset({1})),
        codec.ChangeEvent(0x42, frozenset({3}), frozenset()),
        codec.TimeoutEvent(7, frozenset({9, 10})),
        codec.FaultEvent(3, True, codec.FaultType.LINE_OPEN, codec.Where("Z", 3)),
        codec.FaultEvent(4, False, codec.FaultType.AMP, codec.Where("A", 2)),
        codec.FaultEvent(5, True, codec.FaultType.COMMS, codec.Where("SYS")),
        codec.EmergencyEvent(codec.EmergencyState.RESET),
    ],
)
def test_every_event_round_trips(event: codec.Event) -> None:
    data = codec.encode_frame(codec.event_frame(event, 1, 9))
    assert codec.parse_event(codec.parse_frame(data)) == event


def test_typed_replies_round_trip() -> None:
    poll = codec.PollStatus(codec.Mode.EMERGENCY, 2, 1)
    assert codec.read_poll(codec.Ack(poll.fields())) == poll
    page = codec.ZonePage(1, 4, (codec.ZoneEntry("I"), codec.ZoneEntry("F"), codec.ZoneEntry("B", 0x42, 240)))
    assert codec.read_zone_page(codec.Ack(page.fields())) == page
    record = codec.FaultRecord(0x10, codec.FaultType.LINE_SHORT, codec.Where("Z", 12), True, False)
    faults = codec.FaultPage(1, (record,))
    assert codec.read_fault_page(codec.Ack(faults.fields())) == faults
    info = codec.DeviceInfo("CITYEDGE-PA", "1.0")
    assert codec.read_device_info(codec.Ack(info.fields())) == info


def test_every_nak_code_has_an_operator_sentence() -> None:
    for code in codec.NakCode:
        nak = codec.Nak(code, frozenset({2, 3}) if code in (4, 5) else None)
        assert nak.sentence() and nak.sentence()[0].islower()
        assert codec.parse_reply(codec.parse_frame(codec.encode_frame(codec.reply_frame(codec.Frame(1, "CS", 1), nak))))
    assert "zones 2 and 3 are in fault" in codec.Nak(codec.NakCode.ZONE_FAULT, frozenset({2, 3})).sentence()


# --- malformed frames -------------------------------------------------------------------------------------------


def test_bad_checksum_is_rejected_with_the_header() -> None:
    with pytest.raises(ChecksumError) as err:
        codec.parse_frame(POLL[:-2] + b"6F")
    assert err.value.header == (1, "PG", 0x1B)
    with pytest.raises(ChecksumError):
        codec.parse_frame(POLL[:-2] + b"zz")


def test_truncated_frame_is_rejected() -> None:
    with pytest.raises(TruncatedFrame):
        codec.parse_frame(START[:-1])
    with pytest.raises(TruncatedFrame):
        codec.parse_frame(START[:20])


def test_oversize_frame_is_rejected() -> None:
    with pytest.raises(FrameTooLong):
        codec.parse_frame(STX + b"01PG1B" + b"A" * 250 + ETX + b"00")
    with pytest.raises(FrameTooLong):
        codec.encode_frame(codec.Frame(1, "DT", 1, ("X" * 250,)))


def test_unknown_command_is_rejected_with_the_header() -> None:
    body = b"01ZZ05\x03"
    with pytest.raises(UnknownCommand) as err:
        codec.parse_frame(STX + body + f"{codec.checksum(body):02X}".encode())
    assert err.value.header == (1, "ZZ", 5)


@pytest.mark.parametrize(
    "body",
    [
        "01CS1A0000008A,240,02,11+12,2,P",  # six fields
        "01CS1A0000008A,256,02,11+12,2,P,0",  # priority out of range
        "01CS1A0000008A,240,02,11+12,X,P,0",  # repeat
        "01CS1A0000008A,240,02,11+12,2,Q,0",  # handling
        "01CS1A0000008A,240,02,1G,2,P,0",  # message id
        "01CS1A00000000,240,02,11,2,P,0",  # no zones
        "01CS1A0000008a,240,02,11,2,P,0",  # lowercase bitmap
        "01CA1A42",  # call id not 4 hex
        "01PG1BX",  # PG takes no fields
        "01TM1B20251301000000",  # month 13
    ],
)
def test_bad_command_fields_are_rejected(body: str) -> None:
    raw = body.encode() + ETX
    frame = codec.parse_frame(STX + raw + f"{codec.checksum(raw):02X}".encode())
    with pytest.raises(BadField) as err:
        codec.parse_command(frame)
    assert err.value.header == frame.header


@pytest.mark.parametrize(
    "body",
    [
        "01EV01CALL,0042,SINGING,00000001",
        "01EV01CHANGE,0042,00000001,+00000000",
        "01EV01FAULT,0001,NEW,FIRE,Z01",
        "01EV01FAULT,0001,NEW,AMP,Q01",
        "01EV01EMERG,PANIC",
        "01EV01NOISE",
    ],
)
def test_bad_event_fields_are_rejected(body: str) -> None:
    raw = body.encode() + ETX
    with pytest.raises(BadField):
        codec.parse_event(codec.parse_frame(STX + raw + f"{codec.checksum(raw):02X}".encode()))


def test_bad_header_and_reply_marker_are_rejected() -> None:
    for raw in (b"0XPG1B\x03", b"01PG1\x03", b"01CS1A\x060042\x03", b"01CS1A\x06,\x03", b"01PG1B,,\x03"):
        with pytest.raises(BadField):
            codec.parse_frame(STX + raw + f"{codec.checksum(raw):02X}".encode())


# --- streaming deframer -----------------------------------------------------------------------------------------


def test_deframer_byte_by_byte_and_resync_after_garbage() -> None:
    stream = b"\xff\x00junk" + POLL + b"\x7f" + ACK_0042 + NAK + EVENT
    d = codec.Deframer()
    items: list[codec.Item] = []
    for b in stream:
        items += d.feed(bytes([b]))
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["LineNoise", "Frame", "LineNoise", "Frame", "BareNak", "Frame"]
    assert d.pending == 0


def test_deframer_reports_every_malformed_kind_and_carries_on() -> None:
    bad_chk = POLL[:-2] + b"00"
    unknown_raw = b"01QQ01\x03"
    unknown = STX + unknown_raw + f"{codec.checksum(unknown_raw):02X}".encode()
    truncated = START[:15]
    oversize = STX + b"01DT01" + b"A" * 300
    d = codec.Deframer()
    items = d.feed(bad_chk + unknown + truncated + POLL + oversize + EVENT + START[:9])
    items += d.flush()
    kinds = [type(i) for i in items]
    assert kinds == [
        ChecksumError,
        UnknownCommand,
        TruncatedFrame,
        codec.Frame,
        FrameTooLong,
        LineNoise,  # the rest of the oversize run, discarded until the next STX
        codec.Frame,
        TruncatedFrame,
    ]
    assert items[3] == codec.parse_frame(POLL)
    assert d.flush() == []


def test_deframer_accepts_a_frame_of_exactly_max_size() -> None:
    field = "A" * (MAX_FRAME - 10)
    frame = codec.Frame(1, "DT", 2, (field,), codec.Status.ACK)
    with pytest.raises(FrameTooLong):
        codec.encode_frame(frame)
    frame = codec.Frame(1, "DT", 2, ("A" * (MAX_FRAME - 12),), codec.Status.ACK)
    data = codec.encode_frame(frame)
    assert len(data) == MAX_FRAME
    assert codec.Deframer().feed(data) == [frame]


_field = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters=","), min_size=1)


@given(
    address=st.integers(0, 255),
    seq=st.integers(0, 255),
    command=st.sampled_from(sorted(KNOWN_COMMANDS)),
    fields=st.lists(_field, max_size=6),
    status=st.sampled_from(list(codec.Status)),
    noise=st.binary(max_size=8).filter(lambda b: b"\x02" not in b),
)
def test_any_frame_survives_noise_and_round_trips(
    address: int, seq: int, command: str, fields: list[str], status: codec.Status, noise: bytes
) -> None:
    frame = codec.Frame(address, command, seq, tuple(fields), status)
    try:
        data = codec.encode_frame(frame)
    except FrameTooLong:
        return
    got = [i for i in codec.Deframer().feed(noise + data) if not isinstance(i, LineNoise | codec.BareNak)]
    assert got == [frame]
