"""The simulated device's WS-Discovery side: answers Probes arriving on the multicast group (239.255.255.250:3702,
shared with other listeners through SO_REUSEPORT) and on its own unicast port, with a ProbeMatch sent back to
the prober. Silent while the ``disappear`` fault is on."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import uuid
from collections.abc import Callable

from drivers.camera.onvif.discovery import MULTICAST_GROUP, PORT, build_probe_matches, probe_wants, read_probe
from simulators.cameras.faults import Fault, FaultSwitch

log = logging.getLogger(__name__)
DEVICE_TYPES = ("dn:NetworkVideoTransmitter", "tds:Device")


class _Responder(asyncio.DatagramProtocol):
    def __init__(self, answer: Callable[[bytes, tuple[str, int]], bytes | None]) -> None:
        self.answer = answer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.answer(data, addr)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class DiscoveryResponder:
    """Answers WS-Discovery Probes for one device (run on an asyncio loop)."""

    def __init__(
        self,
        *,
        endpoint: str,
        xaddrs: Callable[[], tuple[str, ...]],
        scopes: tuple[str, ...],
        host: str = "127.0.0.1",
        unicast_port: int = 0,
        multicast: bool = True,
        faults: FaultSwitch,
    ) -> None:
        self.endpoint, self.xaddrs, self.scopes = endpoint, xaddrs, scopes
        self.host, self.unicast_port, self.multicast, self.faults = host, unicast_port, multicast, faults
        self._transports: list[asyncio.DatagramTransport] = []
        self.probes_answered = 0

    def _answer(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        if Fault.DISAPPEAR in self.faults:
            return None
        probe = read_probe(data)
        if probe is None or not probe_wants(probe, DEVICE_TYPES):
            return None
        self.probes_answered += 1
        return build_probe_matches(
            message_id=f"urn:uuid:{uuid.uuid4()}",
            relates_to=probe.message_id,
            endpoint=self.endpoint,
            types=DEVICE_TYPES,
            scopes=self.scopes,
            xaddrs=self.xaddrs(),
        )

    async def start(self) -> None:
        """Open the unicast socket (and the multicast one, when enabled and possible)."""
        loop = asyncio.get_running_loop()
        uni = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        uni.bind((self.host, self.unicast_port))
        self.unicast_port = uni.getsockname()[1]
        transport, _ = await loop.create_datagram_endpoint(lambda: _Responder(self._answer), sock=uni)
        self._transports.append(transport)
        if self.multicast:
            try:
                mc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
                mc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                mc.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                mc.bind(("", PORT))
                membership = struct.pack("4s4s", socket.inet_aton(MULTICAST_GROUP), socket.inet_aton("0.0.0.0"))
                mc.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            except OSError as err:
                mc.close()
                log.warning("WS-Discovery: cannot join %s:%d (%s); answering unicast only", MULTICAST_GROUP, PORT, err)
            else:
                transport, _ = await loop.create_datagram_endpoint(lambda: _Responder(self._answer), sock=mc)
                self._transports.append(transport)

    async def stop(self) -> None:
        """Close the sockets."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
