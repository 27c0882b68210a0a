"""XML helpers for the ONVIF codec: namespaces, a size-limited safe parse, and lookups by local name."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tr2": "http://www.onvif.org/ver20/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "dn": "http://www.onvif.org/ver10/network/wsdl",
}
MAX_XML_BYTES = 1024 * 1024

__all__ = ["NS", "XmlError", "children", "escape", "find", "findall", "local", "quoteattr", "safe_parse", "text"]


class XmlError(ValueError):
    """A message that is not well-formed XML, or too large."""


def safe_parse(data: bytes) -> ET.Element:
    """Parse untrusted XML (from the network). Python's expat (>= 2.4.1) refuses entity-expansion bombs and
    ElementTree never fetches external entities or DTDs; documents with a DOCTYPE are refused outright."""
    if len(data) > MAX_XML_BYTES:
        raise XmlError(f"XML message of {len(data)} bytes exceeds {MAX_XML_BYTES}")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlError("XML with a DOCTYPE or ENTITY declaration is refused")
    try:
        return ET.fromstring(data)  # noqa: S314 -- guarded above
    except ET.ParseError as err:
        raise XmlError(f"not well-formed XML: {err}") from err


def local(tag: str) -> str:
    """The local part of ``{namespace}name``."""
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children with local name ``name`` (any namespace)."""
    return (c for c in element if local(c.tag) == name)


def find(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first element down ``path`` of local names (direct children at each step), or None."""
    current = element
    for name in path:
        if current is None:
            return None
        current = next(children(current, name), None)
    return current


def findall(element: ET.Element, name: str) -> list[ET.Element]:
    """Every descendant with local name ``name``."""
    return [e for e in element.iter() if local(e.tag) == name]


def text(element: ET.Element | None, *path: str, default: str = "") -> str:
    """Stripped text of the element down ``path``, or ``default``."""
    found = find(element, *path) if path else element
    if found is None or found.text is None:
        return default
    return found.text.strip()
