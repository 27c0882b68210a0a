"""HTTP/RTSP Basic and Digest authentication (RFC 7617, RFC 7616 with MD5, and RFC 2069 without qop).

Pure functions: header parsing, the digest computation and verification. Camera simulators check clients with
them; the RTSP and HTTP clients on our side are FFmpeg and httpx.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*,?')


@dataclass(frozen=True)
class Credentials:
    """A username and its password, as the device knows them."""

    username: str
    password: str


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """``("Digest", {"username": ..., ...})`` from an Authorization or WWW-Authenticate header value."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(rest):
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", raw)
    return scheme, params


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_response(
    *,
    username: str,
    password: str,
    realm: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
) -> str:
    """The ``response`` value of a Digest Authorization (MD5): with ``qop=auth`` (RFC 7616) or without (RFC 2069)."""
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    if qop:
        return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{nonce}:{ha2}")


def digest_challenge(realm: str, nonce: str, qop: bool = True, stale: bool = False) -> str:
    """A ``WWW-Authenticate`` value asking for Digest MD5."""
    parts = [f'Digest realm="{realm}"', f'nonce="{nonce}"', "algorithm=MD5"]
    if qop:
        parts.append('qop="auth"')
    if stale:
        parts.append("stale=TRUE")
    return ", ".join(parts)


def basic_challenge(realm: str) -> str:
    """A ``WWW-Authenticate`` value asking for Basic."""
    return f'Basic realm="{realm}"'


def check_basic(header: str | None, expected: Credentials) -> bool:
    """Whether a Basic Authorization header carries ``expected`` (constant-time comparison)."""
    if not header:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep) and hmac.compare_digest(
        f"{user}\0{password}".encode(), f"{expected.username}\0{expected.password}".encode()
    )


def check_digest(header: str | None, expected: Credentials, *, realm: str, method: str, nonce_ok: set[str]) -> bool:
    """Whether a Digest Authorization header is valid for ``expected`` with one of the nonces we issued."""
    if not header:
        return False
    scheme, params = parse_auth_params(header)
    if scheme.lower() != "digest":
        return False
    if params.get("username") != expected.username or params.get("realm") != realm:
        return False
    nonce = params.get("nonce", "")
    if nonce not in nonce_ok:
        return False
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm != "MD5":
        return False
    qop = params.get("qop")
    want = digest_response(
        username=expected.username,
        password=expected.password,
        realm=realm,
        nonce=nonce,
        method=method,
        uri=params.get("uri", ""),
        qop=qop,
        nc=params.get("nc"),
        cnonce=params.get("cnonce"),
    )
    return hmac.compare_digest(want, params.get("response", ""))
