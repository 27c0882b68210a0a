"""WS-Discovery on the network: a Probe sent to the multicast group and/or straight to given addresses (for
networks where multicast does not reach the cameras), answers gathered until the timeout."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Sequence

from drivers.camera.errors import CameraUnreachable
from drivers.camera.onvif.discovery import MULTICAST_GROUP, PORT, VIDEO_TRANSMITTER, build_probe, read_probe_matches
from drivers.camera.onvif.models import DiscoveredDevice

log = logging.getLogger(__name__)


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.found: dict[str, DiscoveredDevice] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        relates_to, devices = read_probe_matches(data, responder=f"{addr[0]}:{addr[1]}")
        if relates_to != self.message_id:
            return  # an answer to someone else's probe
        for device in devices:
            self.found.setdefault(device.endpoint or device.responder, device)


async def discover(
    timeout_s: float = 3.0,
    *,
    multicast: bool = True,
    unicast: Sequence[tuple[str, int]] = (),
    types: str = VIDEO_TRANSMITTER,
    interface: str | None = None,
    repeats: int = 2,
) -> list[DiscoveredDevice]:
    """Devices that answer a Probe within ``timeout_s``.

    ``multicast`` sends to 239.255.255.250:3702 (TTL 1; ``interface`` picks the outgoing interface by address);
    ``unicast`` sends to each ``(host, port)`` as well. Probes are repeated ``repeats`` times (UDP may drop one).
    Raises :class:`CameraUnreachable` when no probe could be sent at all.
    """
    loop = asyncio.get_running_loop()
    message_id = f"urn:uuid:{uuid.uuid4()}"
    probe = build_probe(message_id, types)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    if interface:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
    sock.bind(("0.0.0.0", 0))
    transport, protocol = await loop.create_datagram_endpoint(lambda: _Collector(message_id), sock=sock)
    targets = ([(MULTICAST_GROUP, PORT)] if multicast else []) + list(unicast)
    try:
        for attempt in range(max(1, repeats)):
            sent = 0
            for target in targets:
                try:
                    sock.sendto(probe, target)
                    sent += 1
                except OSError as err:
                    if attempt == 0:
                        log.warning("WS-Discovery probe to %s:%s failed: %s", target[0], target[1], err)
            if attempt == 0 and not sent:
                raise CameraUnreachable("WS-Discovery: no probe could be sent (no multicast route, no addresses)")
            await asyncio.sleep(min(0.1, timeout_s / 4))
        await asyncio.sleep(max(0.0, timeout_s - 0.1 * max(1, repeats)))
    finally:
        transport.close()
    return list(protocol.found.values())
