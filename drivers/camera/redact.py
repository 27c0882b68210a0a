"""Removing credentials from any text: URLs with ``user:pass@`` in any scheme, secret query parameters, and the
exact values of passwords the process knows about (registered when a camera's credentials are loaded).

Rule for a URL's user information: everything between ``scheme://`` and the LAST ``@`` of the URL token is
credentials. That keeps usernames with ``.`` or ``@`` (``ops.team@city.gov.uk``) and passwords with ``@``, ``:``
or ``/`` out of the output; a path with an ``@`` in it is over-redacted, which is the safe side.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"

# scheme:// then the longest run of URL characters ending in '@' (greedy: up to the token's last '@').
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s'\"<>()\[\]{}]*@")
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|pass|pw|token|auth|key|secret|signature)=)[^&\s'\"<>#]*",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 4

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a credential so that :func:`redact` masks it wherever it appears, raw or percent-encoded.

    Values shorter than four characters are not registered (masking them everywhere would mangle ordinary
    text); URL and query-string redaction still covers them.
    """
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
    with _secrets_lock:
        _secrets.update(f for f in forms if len(f) >= _MIN_SECRET_LEN)


def redact(text: str) -> str:
    """``text`` with URL credentials, secret query parameters and registered secrets replaced by ``***``."""
    out = _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    out = _SECRET_QUERY.sub(rf"\g<key>{MASK}", out)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in out:
            out = out.replace(secret, MASK)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's formatted message (and its exception text) in place.

    Attach it to handlers (not loggers) so that it also covers records propagated from child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message; never drops a record."""
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        return True


def install_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    filt = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(filt)
    return filt
