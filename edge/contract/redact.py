"""Masking secrets before anything is logged, published or returned.

Lives in the contract because both sides must apply the same rule to what crosses the wire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# scheme://user:pass@host — the userinfo ends at the LAST '@' before the host, so usernames with '@' or '.' and
# percent-encoded passwords are masked whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<userinfo>[^\s/?#]*@)(?=[^\s@/?#]+)", re.IGNORECASE)
_SECRET_KEYS = re.compile(r"pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|cookie", re.I)
_KEY_VALUE = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|secret|token|api[_-]?key|access_token|refresh_token)\b['\"]?\s*[=:]\s*)"
    r"(?P<q>['\"]?)(?P<val>[^\s'\",;&]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<p>\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)

MASK = "***"


def redact_text(text: str) -> str:
    """Mask URL credentials, ``password=...``-style pairs and bearer tokens inside free text."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('q')}{MASK}", text)
    return _BEARER.sub(lambda m: f"{m.group('p')}{MASK}", text)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (password, token, api_key, ...)."""
    return bool(_SECRET_KEYS.search(key))


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-named keys masked and every string passed through :func:`redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: (MASK if isinstance(k, str) and is_secret_key(k) else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
