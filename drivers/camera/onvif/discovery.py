"""WS-Discovery (2005/04) Probe and ProbeMatches messages as ONVIF uses them: building and reading, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.camera.onvif.models import DiscoveredDevice
from drivers.camera.onvif.soap import envelope
from drivers.camera.onvif.xml import NS, XmlError, children, escape, find, findall, local, safe_parse, text

MULTICAST_GROUP = "239.255.255.250"
PORT = 3702
PROBE_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe"
MATCHES_ACTION = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"
DISCOVERY_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
VIDEO_TRANSMITTER = "dn:NetworkVideoTransmitter"
MAX_DATAGRAM = 65507
_NAMESPACES = {p: NS[p] for p in ("env", "wsa", "d", "dn", "tds")}


@dataclass(frozen=True)
class Probe:
    """A received Probe: its MessageID (answers carry it in RelatesTo) and the types asked for."""

    message_id: str
    types: tuple[str, ...]


def build_probe(message_id: str, types: str = VIDEO_TRANSMITTER) -> bytes:
    """A Probe for devices of ``types`` (space-separated QNames with the dn/tds prefixes)."""
    header = (
        f"<wsa:MessageID>{escape(message_id)}</wsa:MessageID><wsa:To>{DISCOVERY_TO}</wsa:To>"
        f"<wsa:Action>{PROBE_ACTION}</wsa:Action>"
    )
    return envelope(f"<d:Probe><d:Types>{escape(types)}</d:Types></d:Probe>", header, _NAMESPACES)


def read_probe(data: bytes) -> Probe | None:
    """The Probe in a datagram, or None when it is something else (or not XML)."""
    try:
        root = safe_parse(data)
    except XmlError:
        return None
    body = find(root, "Body")
    probe = find(body, "Probe")
    if probe is None:
        return None
    return Probe(message_id=text(root, "Header", "MessageID"), types=tuple(text(probe, "Types").split()))


def probe_wants(probe: Probe, device_types: tuple[str, ...]) -> bool:
    """Whether a device of ``device_types`` (QNames by local part) should answer: an empty Types matches all."""
    if not probe.types:
        return True
    ours = {t.split(":")[-1] for t in device_types}
    return any(t.split(":")[-1] in ours for t in probe.types)


def build_probe_matches(
    *,
    message_id: str,
    relates_to: str,
    endpoint: str,
    types: tuple[str, ...],
    scopes: tuple[str, ...],
    xaddrs: tuple[str, ...],
    metadata_version: int = 1,
) -> bytes:
    """A ProbeMatches answer (sent unicast to the prober)."""
    header = (
        f"<wsa:MessageID>{escape(message_id)}</wsa:MessageID><wsa:RelatesTo>{escape(relates_to)}</wsa:RelatesTo>"
        f"<wsa:To>{ANONYMOUS}</wsa:To><wsa:Action>{MATCHES_ACTION}</wsa:Action>"
    )
    body = (
        "<d:ProbeMatches><d:ProbeMatch>"
        f"<wsa:EndpointReference><wsa:Address>{escape(endpoint)}</wsa:Address></wsa:EndpointReference>"
        f"<d:Types>{escape(' '.join(types))}</d:Types><d:Scopes>{escape(' '.join(scopes))}</d:Scopes>"
        f"<d:XAddrs>{escape(' '.join(xaddrs))}</d:XAddrs><d:MetadataVersion>{metadata_version}</d:MetadataVersion>"
        "</d:ProbeMatch></d:ProbeMatches>"
    )
    return envelope(body, header, _NAMESPACES)


def read_probe_matches(data: bytes, responder: str = "") -> tuple[str, list[DiscoveredDevice]]:
    """``(RelatesTo, devices)`` of a ProbeMatches datagram; ``("", [])`` for anything else."""
    try:
        root = safe_parse(data)
    except XmlError:
        return "", []
    matches = find(root, "Body", "ProbeMatches")
    if matches is None:
        return "", []
    devices = []
    for match in children(matches, "ProbeMatch"):
        endpoint = next((text(e) for e in findall(match, "Address") if local(e.tag) == "Address"), "")
        devices.append(
            DiscoveredDevice(
                endpoint=endpoint,
                xaddrs=tuple(text(match, "XAddrs").split()),
                types=tuple(text(match, "Types").split()),
                scopes=tuple(text(match, "Scopes").split()),
                responder=responder,
            )
        )
    return text(root, "Header", "RelatesTo"), devices
