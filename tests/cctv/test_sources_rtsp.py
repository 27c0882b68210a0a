"""The RTSP camera simulator as a real camera: ffprobe and ffmpeg read it, and its RTSP dialogue and RTP
packetisation (RFC 2326, RFC 6184) are checked byte by byte with a raw socket client."""

from __future__ import annotations

import base64
import itertools
import json
import socket
import subprocess

from camera_support import PASSWORD, USER, rtsp_camera

from drivers.camera.h264 import FU_A, Depacketizer, nal_type
from drivers.camera.httpauth import digest_response, parse_auth_params
from drivers.camera.rtp import parse_rtp, read_interleaved
from drivers.camera.urls import parse_source


def _authed(url: str) -> str:
    return parse_source(url, username=USER, password=PASSWORD).for_decoder()


def test_ffprobe_reads_the_stream() -> None:
    with rtsp_camera(width=640, height=360) as cam:
        result = subprocess.run(
            ["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_streams", "-of", "json", _authed(cam.url())],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    (stream,) = json.loads(result.stdout)["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 360)
    assert stream["r_frame_rate"] == "25/1"
    assert stream["pix_fmt"] == "yuv420p"


def test_ffmpeg_decodes_without_errors_and_falls_back_from_udp() -> None:
    with rtsp_camera() as cam:
        # no -rtsp_transport: FFmpeg asks for UDP first, gets 461, and retries over TCP as with many cameras
        result = subprocess.run(
            ["ffmpeg", "-v", "error", "-i", _authed(cam.url()), "-frames:v", "50", "-f", "null", "-"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0
    # the only message is FFmpeg noting the refused UDP SETUP; no decode error, no missing frame
    assert [line for line in result.stderr.splitlines() if "461 Unsupported Transport" not in line] == []


class RawRtsp:
    """A minimal RTSP client on a socket, to look at exactly what the camera sends."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.cseq = 0

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode().split("\r\n")
        hdrs = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        length = int(hdrs.get("content-length", "0"))
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        assert hdrs["cseq"] == str(self.cseq)
        return int(status_line.split()[1]), hdrs, body

    def interleaved(self) -> tuple[int, bytes]:
        while True:
            frame = read_interleaved(self.buffer) if self.buffer[:1] == b"$" else None
            if frame is not None:
                self.buffer = self.buffer[frame[2] :]
                return frame[0], frame[1]
            self.buffer += self.sock.recv(65536)


def test_rtsp_dialogue_and_rtp_packetisation() -> None:
    with rtsp_camera(width=640, height=360) as cam:
        url = cam.url("/main")
        client = RawRtsp(cam.port)
        status, headers, _ = client.request("OPTIONS", url)
        assert status == 200 and "DESCRIBE" in headers["public"] and "TEARDOWN" in headers["public"]

        status, headers, _ = client.request("DESCRIBE", url)
        assert status == 401
        scheme, challenge = parse_auth_params(headers["www-authenticate"])
        assert scheme == "Digest"

        def auth(method: str, uri: str) -> dict[str, str]:
            response = digest_response(
                username=USER,
                password=PASSWORD,
                realm=challenge["realm"],
                nonce=challenge["nonce"],
                method=method,
                uri=uri,
                qop="auth",
                nc="00000001",
                cnonce="abc",
            )
            value = (
                f'Digest username="{USER}", realm="{challenge["realm"]}", nonce="{challenge["nonce"]}", '
                f'uri="{uri}", qop=auth, nc=00000001, cnonce="abc", response="{response}"'
            )
            return {"Authorization": value}

        status, headers, sdp = client.request("DESCRIBE", url, auth("DESCRIBE", url))
        assert status == 200 and headers["content-type"] == "application/sdp"
        text = sdp.decode()
        sprop = text.split("sprop-parameter-sets=")[1].split()[0].split(",")
        sps, pps = (base64.b64decode(s) for s in sprop)
        assert nal_type(sps) == 7 and nal_type(pps) == 8
        track = headers["content-base"] + "trackID=0"

        status, _, _ = client.request(
            "SETUP", track, {**auth("SETUP", track), "Transport": "RTP/AVP;unicast;client_port=5000-5001"}
        )
        assert status == 461  # UDP is not offered
        transport = {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"}
        status, headers, _ = client.request("SETUP", track, {**auth("SETUP", track), **transport})
        assert status == 200 and "interleaved=0-1" in headers["transport"]
        session = headers["session"].split(";")[0]
        status, headers, _ = client.request("PLAY", url, {**auth("PLAY", url), "Session": session})
        assert status == 200
        rtp_info = dict(p.split("=", 1) for p in headers["rtp-info"].split(";")[1:])

        depack = Depacketizer()
        packets, units, nals = [], [], []
        current: list[bytes] = []
        while len(units) < 30:
            channel, data = client.interleaved()
            assert channel == 0
            packet = parse_rtp(data)
            packets.append(packet)
            current += depack.push(packet.payload)
            if packet.marker:
                units.append((packet.timestamp, current))
                nals += current
                current = []
        client.request("TEARDOWN", url, {**auth("TEARDOWN", url), "Session": session})
        client.sock.close()

    assert packets[0].sequence == int(rtp_info["seq"])
    assert packets[0].timestamp == int(rtp_info["rtptime"])
    assert all((b.sequence - a.sequence) % 65536 == 1 for a, b in itertools.pairwise(packets))
    assert all(p.payload_type == 96 and p.ssrc == packets[0].ssrc for p in packets)
    assert all(len(p.payload) <= 1400 for p in packets)
    steps = {b[0] - a[0] for a, b in itertools.pairwise(units)}
    assert steps == {3600}  # 90 kHz clock at 25 fps
    kinds = [nal_type(n) for n in units[0][1]]
    assert kinds[:2] == [7, 8] and 5 in kinds  # the first access unit is an IDR with SPS/PPS in band
    assert any(p.payload[0] & 0x1F == FU_A for p in packets)  # IDRs are fragmented...
    assert any(p.payload[0] & 0x1F in (1, 5) for p in packets)  # ...small slices go as single NAL packets
    assert sps in nals and pps in nals  # the in-band parameter sets match the SDP's
