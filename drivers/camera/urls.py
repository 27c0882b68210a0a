"""Camera source URLs: parsing, credentials kept apart from the address, and the forms handed to decoders.

A source is written as a URL (``rtsp://``, ``rtsps://``, ``http://``, ``https://``, ``onvif://``, ``file://`` or a
plain path). Credentials may be inline (``rtsp://user:pass@host/...``, percent-encoded or not) or given apart; they
are moved into :class:`pydantic.SecretStr`, registered for redaction, and only put back (percent-encoded) in the
string handed to FFmpeg, which decodes them again before authenticating.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from pydantic import SecretStr

from drivers.camera.errors import InvalidSourceUrl
from drivers.camera.redact import MASK, redact, register_secret

NETWORK_SCHEMES = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "onvif": 80}
SCHEMES = {*NETWORK_SCHEMES, "file"}


@dataclass(frozen=True)
class SourceUrl:
    """A camera source: its address without credentials, and the credentials apart."""

    scheme: str
    address: str
    """The URL without user information (or the file path for ``file``)."""
    host: str | None = None
    port: int | None = None
    path: str = ""
    username: str | None = None
    password: SecretStr | None = None

    @property
    def is_file(self) -> bool:
        """True for a local file source."""
        return self.scheme == "file"

    def authority(self) -> str:
        """``host:port`` (IPv6 in brackets), for messages."""
        host = f"[{self.host}]" if self.host and ":" in self.host else (self.host or "")
        return f"{host}:{self.port}"

    def for_decoder(self) -> str:
        """The URL with credentials put back, percent-encoded, for FFmpeg. Never log this."""
        if self.is_file:
            return self.address
        if self.username is None:
            return self.address
        secret = self.password.get_secret_value() if self.password else None
        userinfo = quote(self.username, safe="")
        if secret is not None:
            userinfo += ":" + quote(secret, safe="")
        head, rest = self.address.split("://", 1)
        return f"{head}://{userinfo}@{rest}"

    def with_address(self, address: str) -> SourceUrl:
        """The same credentials applied to another URL (e.g. the RTSP URI an ONVIF device returned)."""
        inner = parse_source(address)
        return parse_source(inner.address, username=self.username, password=self.password)

    def __str__(self) -> str:
        user = f"{MASK}@" if self.username is not None else ""
        if self.is_file or not user:
            return self.address
        head, rest = self.address.split("://", 1)
        return f"{head}://{user}{rest}"

    def __repr__(self) -> str:
        return f"SourceUrl({str(self)!r})"


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """Split ``userinfo@hostport/path`` at the last ``@`` before any query or fragment."""
    cut = len(rest)
    for mark in ("?", "#"):
        i = rest.find(mark)
        if i != -1:
            cut = min(cut, i)
    at = rest.rfind("@", 0, cut)
    if at == -1:
        return None, rest
    return rest[:at], rest[at + 1 :]


def _split_hostport(hostport: str, scheme: str, shown: str) -> tuple[str, int]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise InvalidSourceUrl(f"{shown}: unterminated IPv6 address")
        host, tail = hostport[1:end], hostport[end + 1 :]
        port_text = tail[1:] if tail.startswith(":") else ""
        if tail and not tail.startswith(":"):
            raise InvalidSourceUrl(f"{shown}: unexpected text after the IPv6 address")
    else:
        host, _, port_text = hostport.partition(":")
    if not host:
        raise InvalidSourceUrl(f"{shown}: no host")
    if not port_text:
        return host, NETWORK_SCHEMES[scheme]
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidSourceUrl(f"{shown}: port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def parse_source(
    url: str,
    username: str | None = None,
    password: str | SecretStr | None = None,
) -> SourceUrl:
    """Parse a source URL; ``username``/``password`` given here win over inline ones.

    Raises :class:`InvalidSourceUrl` (message redacted) for an unknown scheme, a missing host or a bad port.
    """
    text = url.strip()
    if not text:
        raise InvalidSourceUrl("empty camera source URL")
    if "://" not in text:
        return SourceUrl(scheme="file", address=str(Path(text)), path=str(Path(text)))
    scheme, rest = text.split("://", 1)
    scheme = scheme.lower()
    shown = redact(text)
    if scheme not in SCHEMES:
        raise InvalidSourceUrl(f"{shown}: unsupported scheme {scheme!r}; use one of {', '.join(sorted(SCHEMES))}")
    if scheme == "file":
        path = unquote(rest)
        return SourceUrl(scheme="file", address=path, path=path)
    userinfo, hostpart = _split_userinfo(rest)
    inline_user: str | None = None
    inline_pass: str | None = None
    if userinfo is not None:
        user_text, sep, pass_text = userinfo.partition(":")
        inline_user = unquote(user_text)
        inline_pass = unquote(pass_text) if sep else None
    slash = min((i for i in (hostpart.find("/"), hostpart.find("?"), hostpart.find("#")) if i != -1), default=-1)
    hostport, path = (hostpart, "") if slash == -1 else (hostpart[:slash], hostpart[slash:])
    host, port = _split_hostport(hostport, scheme, shown)
    user = username if username is not None else inline_user
    secret: SecretStr | None
    if password is not None:
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
    else:
        secret = SecretStr(inline_pass) if inline_pass is not None else None
    if secret is not None:
        register_secret(secret.get_secret_value())
    return SourceUrl(
        scheme=scheme,
        address=f"{scheme}://{hostport}{path}",
        host=host,
        port=port,
        path=path or "/",
        username=user,
        password=secret,
    )
