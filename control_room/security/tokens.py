"""Short-lived bearer tokens: JWT, HS256 only, with issuer, audience, expiry, a unique id and the login session id.

The session id (``sid``) ties every access token to one login (``control_room.sessions``): ending the session (logout,
refresh-token reuse, account disabled, password reset) makes its access tokens invalid at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt
from pydantic import SecretStr

ALGORITHM = "HS256"
ISSUER = "cityedge-control-room"
AUDIENCE = "cityedge-api"


class TokenInvalid(Exception):
    """The token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token says."""

    username: str
    user_id: int
    role: str
    jti: str
    expires_at: float
    session_id: str


class TokenIssuer:
    """Issues and verifies access tokens with one secret key."""

    def __init__(self, secret: SecretStr, ttl_s: int) -> None:
        self._key = secret.get_secret_value()
        self.ttl_s = ttl_s

    def issue(self, username: str, user_id: int, role: str, session_id: str) -> tuple[str, int]:
        """A signed token for one login session and its lifetime in seconds."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": username,
            "uid": user_id,
            "role": role,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_s,
            "jti": secrets.token_hex(16),
            "sid": session_id,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), self.ttl_s

    def verify(self, token: str) -> TokenClaims:
        """Decode and check signature, algorithm, issuer, audience and expiry."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "jti", "sid"]},
            )
            return TokenClaims(
                str(claims["sub"]),
                int(claims["uid"]),
                str(claims["role"]),
                str(claims["jti"]),
                float(claims["exp"]),
                str(claims["sid"]),
            )
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as err:
            raise TokenInvalid(str(err)) from err
