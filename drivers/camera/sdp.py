"""SDP session descriptions (RFC 4566) for one H.264 video track (RFC 6184 §8): pure functions, no I/O."""

from __future__ import annotations

import base64

from drivers.camera.h264 import ParameterSets

H264_PAYLOAD_TYPE = 96


def h264_session(
    params: ParameterSets,
    *,
    session_id: int,
    address: str,
    name: str,
    width: int,
    height: int,
    fps: float,
    control: str = "trackID=0",
) -> bytes:
    """An SDP describing one H.264 track, packetization-mode 1, with ``sprop-parameter-sets``."""
    sprop = ",".join(base64.b64encode(p).decode() for p in (params.sps, params.pps))
    fmtp = f"packetization-mode=1;profile-level-id={params.profile_level_id};sprop-parameter-sets={sprop}"
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {address}",
        f"s={name}",
        f"c=IN IP4 {address}",
        "t=0 0",
        "a=control:*",
        "a=range:npt=now-",
        f"m=video 0 RTP/AVP {H264_PAYLOAD_TYPE}",
        f"a=rtpmap:{H264_PAYLOAD_TYPE} H264/90000",
        f"a=fmtp:{H264_PAYLOAD_TYPE} {fmtp}",
        f"a=framerate:{fps:g}",
        f"a=x-dimensions:{width},{height}",
        f"a=control:{control}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()
