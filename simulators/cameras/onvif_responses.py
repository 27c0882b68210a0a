"""Answers of the simulated ONVIF device (device and media services, Profile S subset), as SOAP body XML.

Element order and required children follow the ONVIF WSDL/XSD (ver10 device, media and schema), which the tests
check by calling the simulator through the third-party onvif-zeep client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from drivers.camera.onvif.xml import NS


@dataclass(frozen=True)
class SimProfile:
    """A media profile of the simulated device and the RTSP path that serves it."""

    token: str
    name: str
    width: int
    height: int
    fps: float
    rtsp_path: str
    bitrate_kbps: int = 4000


@dataclass(frozen=True)
class DeviceIdentity:
    """What GetDeviceInformation reports."""

    manufacturer: str = "cityedge"
    model: str = "SIM-ONVIF-1"
    firmware: str = "1.0.0"
    serial: str = "SIM0001"
    hardware: str = "sim"


def system_date_and_time(now: datetime) -> str:
    """GetSystemDateAndTimeResponse for the device clock ``now`` (UTC)."""
    return (
        "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        "<tt:TimeZone><tt:TZ>GMT0BST,M3.5.0/1,M10.5.0</tt:TZ></tt:TimeZone>"
        f"<tt:UTCDateTime><tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time><tt:Date><tt:Year>{now.year}</tt:Year>"
        f"<tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date></tt:UTCDateTime>"
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def capabilities(device_xaddr: str, media_xaddr: str) -> str:
    """GetCapabilitiesResponse: Device and Media only."""
    return (
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        f"<tt:Device><tt:XAddr>{escape(device_xaddr)}</tt:XAddr>"
        "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
        "<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>"
        "<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>"
        "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>"
        "<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
        "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>"
        "</tt:Device>"
        f"<tt:Media><tt:XAddr>{escape(media_xaddr)}</tt:XAddr><tt:StreamingCapabilities>"
        "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
        "</tt:StreamingCapabilities></tt:Media>"
        "</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )


def services(device_xaddr: str, media_xaddr: str) -> str:
    """GetServicesResponse: the device and media (ver10) services."""
    items = [(NS["tds"], device_xaddr, (2, 60)), (NS["trt"], media_xaddr, (2, 60))]
    body = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{escape(xaddr)}</tds:XAddr>"
        f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>"
        for ns, xaddr, (major, minor) in items
    )
    return f"<tds:GetServicesResponse>{body}</tds:GetServicesResponse>"


def device_information(identity: DeviceIdentity) -> str:
    """GetDeviceInformationResponse."""
    return (
        "<tds:GetDeviceInformationResponse>"
        f"<tds:Manufacturer>{escape(identity.manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{escape(identity.model)}</tds:Model>"
        f"<tds:FirmwareVersion>{escape(identity.firmware)}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{escape(identity.serial)}</tds:SerialNumber>"
        f"<tds:HardwareId>{escape(identity.hardware)}</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def _profile(p: SimProfile, source_width: int, source_height: int) -> str:
    return (
        f'<trt:Profiles token="{escape(p.token)}" fixed="true"><tt:Name>{escape(p.name)}</tt:Name>'
        '<tt:VideoSourceConfiguration token="vsc0"><tt:Name>video source</tt:Name><tt:UseCount>2</tt:UseCount>'
        f'<tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="{source_width}" '
        f'height="{source_height}"/></tt:VideoSourceConfiguration>'
        f'<tt:VideoEncoderConfiguration token="vec-{escape(p.token)}"><tt:Name>{escape(p.name)} H.264</tt:Name>'
        "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{p.width}</tt:Width><tt:Height>{p.height}</tt:Height></tt:Resolution>"
        "<tt:Quality>5</tt:Quality>"
        f"<tt:RateControl><tt:FrameRateLimit>{round(p.fps)}</tt:FrameRateLimit>"
        f"<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{p.bitrate_kbps}</tt:BitrateLimit>"
        "</tt:RateControl>"
        f"<tt:H264><tt:GovLength>{round(p.fps * 2)}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>"
        "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>"
        "<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
        "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
        "</trt:Profiles>"
    )


def profiles(items: list[SimProfile]) -> str:
    """GetProfilesResponse."""
    width = max(p.width for p in items)
    height = max(p.height for p in items)
    body = "".join(_profile(p, width, height) for p in items)
    return f"<trt:GetProfilesResponse>{body}</trt:GetProfilesResponse>"


def media_uri(operation: str, uri: str) -> str:
    """GetStreamUriResponse / GetSnapshotUriResponse carrying ``uri``."""
    return (
        f"<trt:{operation}Response><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        f"<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:{operation}Response>"
    )
