"""WS-Security UsernameToken (OASIS Username Token Profile 1.0) with PasswordDigest, both sides.

``PasswordDigest = Base64(SHA-1(nonce + created + password))``. Devices check ``Created`` against their clock, so
a client should correct for the device's clock (GetSystemDateAndTime) before signing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.etree.ElementTree import Element

from drivers.camera.onvif.xml import NS, escape, find, text

_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_DIGEST = _PROFILE + "#PasswordDigest"
PASSWORD_TEXT = _PROFILE + "#PasswordText"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password))."""
    digest = hashlib.sha1(nonce + created.encode() + password.encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def format_created(when: datetime) -> str:
    """``Created`` in UTC, ISO 8601 with milliseconds and ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def security_header(username: str, password: str, now: datetime, nonce: bytes | None = None) -> str:
    """The ``wsse:Security`` header element (XML text) with a digest UsernameToken."""
    nonce = nonce if nonce is not None else os.urandom(16)
    created = format_created(now)
    return (
        f'<wsse:Security xmlns:wsse="{NS["wsse"]}" xmlns:wsu="{NS["wsu"]}" env:mustUnderstand="true">'
        "<wsse:UsernameToken>"
        f"<wsse:Username>{escape(username)}</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_DIGEST}">{password_digest(nonce, created, password)}</wsse:Password>'
        f'<wsse:Nonce EncodingType="{BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security>"
    )


@dataclass(frozen=True)
class UsernameToken:
    """The parts of a received UsernameToken."""

    username: str
    password: str
    password_type: str
    nonce: bytes
    created: str


def read_username_token(header: Element | None) -> UsernameToken | None:
    """The UsernameToken in a SOAP header, or None when there is none (or it is malformed)."""
    token = find(header, "Security", "UsernameToken")
    if token is None:
        return None
    password_el = find(token, "Password")
    try:
        nonce = base64.b64decode(text(token, "Nonce"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return UsernameToken(
        username=text(token, "Username"),
        password=text(password_el),
        password_type=(password_el.get("Type", PASSWORD_TEXT) if password_el is not None else PASSWORD_TEXT),
        nonce=nonce,
        created=text(token, "Created"),
    )


def parse_created(value: str) -> datetime | None:
    """A ``Created`` timestamp as an aware datetime, or None when unreadable."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def verify_username_token(
    token: UsernameToken, username: str, password: str, now: datetime, max_skew: timedelta = timedelta(minutes=5)
) -> bool:
    """Whether ``token`` proves ``username``/``password`` (digest or text) with a fresh ``Created``."""
    if not hmac.compare_digest(token.username.encode(), username.encode()):
        return False
    if token.password_type == PASSWORD_DIGEST:
        created = parse_created(token.created)
        if created is None or abs(now - created) > max_skew:
            return False
        expected = password_digest(token.nonce, token.created, password)
        return hmac.compare_digest(expected.encode(), token.password.encode())
    return hmac.compare_digest(token.password.encode(), password.encode())
