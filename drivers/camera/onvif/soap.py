"""SOAP 1.2 envelopes and faults for ONVIF: building and reading, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from drivers.camera.onvif.xml import NS, XmlError, escape, find, local, safe_parse, text

CONTENT_TYPE = "application/soap+xml; charset=utf-8"


@dataclass(frozen=True)
class Fault:
    """A SOAP fault: code (``env:Sender``), subcode (e.g. ``ter:NotAuthorized``) and the reason text."""

    code: str
    subcode: str
    reason: str

    @property
    def not_authorized(self) -> bool:
        """Whether the device refused the credentials."""
        return local(self.subcode).split(":")[-1] in ("NotAuthorized", "FailedAuthentication", "InvalidSecurity")


def envelope(body: str, header: str = "", namespaces: dict[str, str] | None = None) -> bytes:
    """A SOAP 1.2 envelope around ``body`` (and ``header``), declaring the ONVIF prefixes it uses."""
    declared = namespaces or {p: NS[p] for p in ("env", "tds", "trt", "tt")}
    xmlns = " ".join(f'xmlns:{p}="{uri}"' for p, uri in declared.items())
    head = f"<env:Header>{header}</env:Header>" if header else ""
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{prolog}<env:Envelope {xmlns}>{head}<env:Body>{body}</env:Body></env:Envelope>".encode()


def fault_body(subcode: str, reason: str, code: str = "env:Sender") -> str:
    """The body of a SOAP 1.2 fault (``subcode`` like ``ter:NotAuthorized``)."""
    return (
        f'<env:Fault xmlns:ter="{NS["ter"]}"><env:Code><env:Value>{code}</env:Value>'
        f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason></env:Fault>'
    )


def read_envelope(data: bytes) -> tuple[Element | None, Element]:
    """``(header, first body child)`` of a SOAP envelope; raises XmlError when it is not one."""
    root = safe_parse(data)
    if local(root.tag) != "Envelope":
        raise XmlError(f"expected a SOAP Envelope, got <{local(root.tag)}>")
    body = find(root, "Body")
    if body is None or len(body) == 0:
        raise XmlError("SOAP envelope without a body element")
    return find(root, "Header"), body[0]


def read_fault(element: Element) -> Fault | None:
    """The fault in a body element, or None when it is not a fault."""
    if local(element.tag) != "Fault":
        return None
    subcode = text(element, "Code", "Subcode", "Value")
    return Fault(
        code=text(element, "Code", "Value"),
        subcode=subcode,
        reason=text(element, "Reason", "Text") or text(element, "faultstring") or "no reason given",
    )
