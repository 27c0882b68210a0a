"""The pure camera codecs: H.264 Annex B and RFC 6184 packetisation, RTP, RTSP messages, SDP, HTTP auth."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.h264 import (
    FU_A,
    Depacketizer,
    ParameterSets,
    find_parameter_sets,
    join_annexb,
    nal_type,
    packetize_nal,
    split_annexb,
)
from drivers.camera.httpauth import Credentials, check_basic, check_digest, digest_response, parse_auth_params
from drivers.camera.rtp import build_rtp, interleave, parse_rtp, read_interleaved
from drivers.camera.rtsp import RtspSyntaxError, format_response, parse_request, parse_transport
from drivers.camera.sdp import h264_session

_NAL = st.binary(min_size=2, max_size=5000).map(
    lambda b: bytes([0x65 | (b[0] & 0x60)]) + b[1:].replace(b"\0\0", b"\0\1")
)


@given(nals=st.lists(_NAL, min_size=1, max_size=6))
def test_annexb_split_join_round_trip(nals: list[bytes]) -> None:
    nals = [n.rstrip(b"\0") or b"\x65" for n in nals]
    assert split_annexb(join_annexb(nals)) == nals


def test_split_handles_three_and_four_byte_start_codes() -> None:
    stream = b"\x00\x00\x00\x01\x67\x42\x00\x1e\x00\x00\x01\x68\xce\x00\x00\x00\x01\x65\x88"
    assert split_annexb(stream) == [b"\x67\x42\x00\x1e", b"\x68\xce", b"\x65\x88"]


@given(nal=_NAL, max_payload=st.integers(min_value=3, max_value=1500))
def test_packetize_depacketize_round_trip(nal: bytes, max_payload: int) -> None:
    payloads = packetize_nal(nal, max_payload)
    assert all(len(p) <= max_payload for p in payloads)
    depack = Depacketizer()
    out = [n for p in payloads for n in depack.push(p)]
    assert out == [nal]


def test_fu_a_headers() -> None:
    nal = bytes([0x65]) + bytes(range(256)) * 10
    payloads = packetize_nal(nal, 1000)
    assert len(payloads) == 3
    assert all(p[0] & 0x1F == FU_A and p[0] & 0x60 == 0x60 for p in payloads)  # NRI kept, type 28
    assert [p[1] & 0xC0 for p in payloads] == [0x80, 0x00, 0x40]  # start, middle, end bits
    assert all(p[1] & 0x1F == 5 for p in payloads)  # original type (IDR) in the FU header
    assert packetize_nal(b"\x41\x9a\x00", 1000) == [b"\x41\x9a\x00"]  # single NAL unit packet


def test_depacketizer_rejects_orphan_fragment_and_reads_stap_a() -> None:
    with pytest.raises(ValueError, match="without a start"):
        Depacketizer().push(bytes([0x7C, 0x05, 1, 2]))
    stap = bytes([0x78]) + (2).to_bytes(2, "big") + b"\x67\x42" + (2).to_bytes(2, "big") + b"\x68\xce"
    assert Depacketizer().push(stap) == [b"\x67\x42", b"\x68\xce"]


def test_rtp_build_parse_and_interleave() -> None:
    packet = build_rtp(b"\x65abc", sequence=65535, timestamp=2**32 + 5, ssrc=0xDEADBEEF, marker=True, payload_type=96)
    parsed = parse_rtp(packet)
    assert (parsed.sequence, parsed.timestamp, parsed.ssrc, parsed.marker, parsed.payload_type) == (
        65535,
        5,
        0xDEADBEEF,
        True,
        96,
    )
    assert parsed.payload == b"\x65abc"
    framed = interleave(2, packet)
    assert framed[:2] == b"$\x02"
    assert read_interleaved(framed[:5]) is None
    assert read_interleaved(framed + b"rest") == (2, packet, len(framed))
    with pytest.raises(ValueError, match="version"):
        parse_rtp(b"\x00" * 12)


def test_rtsp_request_parsing() -> None:
    raw = b"DESCRIBE rtsp://h/main RTSP/1.0\r\nCSeq: 3\r\nAccept: application/sdp\r\n\r\nOPTIONS"
    parsed = parse_request(raw)
    assert parsed is not None
    request, used = parsed
    assert (request.method, request.url, request.cseq, request.headers["accept"]) == (
        "DESCRIBE",
        "rtsp://h/main",
        "3",
        "application/sdp",
    )
    assert raw[used:] == b"OPTIONS"
    assert parse_request(b"OPTIONS rtsp://h RTSP/1.0\r\nCSeq: 1\r\n") is None  # incomplete
    body = b"SET_PARAMETER rtsp://h RTSP/1.0\r\nCSeq: 9\r\nContent-Length: 4\r\n\r\nab"
    assert parse_request(body) is None  # body not all here yet
    with pytest.raises(RtspSyntaxError, match="bad request line"):
        parse_request(b"HELLO\r\n\r\n")
    with pytest.raises(RtspSyntaxError, match="Content-Length"):
        parse_request(b"OPTIONS * RTSP/1.0\r\nContent-Length: x\r\n\r\n")


def test_rtsp_response_and_transport() -> None:
    out = format_response(200, "4", {"Session": "abc"}, b"v=0\r\n")
    assert out.startswith(b"RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: abc\r\nContent-Length: 5\r\n\r\nv=0")
    assert parse_transport("RTP/AVP/TCP;unicast;interleaved=0-1") == {
        "RTP/AVP/TCP": "",
        "unicast": "",
        "interleaved": "0-1",
    }


def test_sdp_carries_parameter_sets() -> None:
    sps, pps = b"\x67\x42\xc0\x1e\xda\x02", b"\x68\xce\x0f\xc8"
    sdp = h264_session(
        ParameterSets(sps, pps), session_id=1, address="127.0.0.1", name="x", width=320, height=240, fps=25
    ).decode()
    assert "m=video 0 RTP/AVP 96" in sdp
    assert "a=rtpmap:96 H264/90000" in sdp
    assert "profile-level-id=42c01e" in sdp
    sprop = sdp.split("sprop-parameter-sets=")[1].split()[0]
    assert [base64.b64decode(x) for x in sprop.split(",")] == [sps, pps]
    assert find_parameter_sets([pps, b"\x65", sps]) == ParameterSets(sps, pps)
    assert nal_type(sps) == 7


def test_digest_matches_rfc2617_example() -> None:
    # RFC 2617 §3.5
    response = digest_response(
        username="Mufasa",
        password="Circle Of Life",
        realm="testrealm@host.com",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        method="GET",
        uri="/dir/index.html",
        qop="auth",
        nc="00000001",
        cnonce="0a4f113b",
    )
    assert response == "6629fae49393a05397450978507c4ef1"


def test_digest_and_basic_checks() -> None:
    creds = Credentials("a.b@c", "p:w@d")
    nonce = "n1"
    resp = digest_response(
        username=creds.username, password=creds.password, realm="r", nonce=nonce, method="DESCRIBE", uri="rtsp://h/x"
    )
    header = f'Digest username="a.b@c", realm="r", nonce="{nonce}", uri="rtsp://h/x", response="{resp}"'
    assert parse_auth_params(header)[1]["username"] == "a.b@c"
    assert check_digest(header, creds, realm="r", method="DESCRIBE", nonce_ok={nonce})
    assert not check_digest(header, creds, realm="r", method="DESCRIBE", nonce_ok={"other"})  # nonce not ours
    assert not check_digest(header, Credentials("a.b@c", "x"), realm="r", method="DESCRIBE", nonce_ok={nonce})
    basic = "Basic " + base64.b64encode(b"a.b@c:p:w@d").decode()
    assert check_basic(basic, creds)
    assert not check_basic("Basic !!!", creds)
    assert not check_basic(basic, Credentials("a.b@c", "p:w"))
