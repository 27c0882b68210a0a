"""Serial transports chosen by URL (pyserial's ``serial_for_url``).

``/dev/ttyUSB0``, ``/dev/pts/N`` (a simulator's pty), ``socket://host:port``, ``rfc2217://host:port`` and
``loop://`` all give the same :class:`serial.SerialBase` interface, so a driver never knows which it has.
"""

from __future__ import annotations

import re

import serial

from drivers.errors import TransportError

_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def describe_url(url: str) -> str:
    """The URL with any ``user:pass@`` removed, fit for logs and errors."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", url)


def open_serial(url: str, baudrate: int = 9600, timeout: float | None = 0.05) -> serial.SerialBase:
    """Open a serial transport by URL (8N1), raising :class:`TransportError` with the URL and the OS's reason."""
    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, do_not_open=True)
        port.bytesize = serial.EIGHTBITS
        port.parity = serial.PARITY_NONE
        port.stopbits = serial.STOPBITS_ONE
        port.open()
    except (serial.SerialException, ValueError, OSError) as err:
        raise TransportError(f"cannot open {describe_url(url)}: {err}") from err
    return port


def wire_time_s(nbytes: int, baudrate: int, bits_per_byte: int = 10) -> float:
    """Seconds that ``nbytes`` need on an async serial line (8N1 = 10 bits per byte)."""
    return nbytes * bits_per_byte / baudrate
