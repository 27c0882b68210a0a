"""Login checking shared by the simulated cameras: Basic or Digest, nonces, and the wrong-password fault."""

from __future__ import annotations

import secrets
from collections import deque

from drivers.camera.httpauth import Credentials, basic_challenge, check_basic, check_digest, digest_challenge
from simulators.cameras.faults import Fault, FaultSwitch


class Authenticator:
    """Checks Authorization headers against the camera's credentials (``mode``: digest, basic or none).

    While the ``wrong_password`` fault is on, the camera's password is something the client cannot know.
    """

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        mode: str = "digest",
        realm: str = "cityedge-camera",
        faults: FaultSwitch | None = None,
    ) -> None:
        if mode not in ("digest", "basic", "none"):
            raise ValueError(f"auth mode {mode!r}: use digest, basic or none")
        self.credentials = credentials
        self.mode = mode if credentials else "none"
        self.realm = realm
        self.faults = faults or FaultSwitch()
        self._nonces: deque[str] = deque(maxlen=256)

    def _expected(self) -> Credentials:
        assert self.credentials is not None
        if Fault.WRONG_PASSWORD in self.faults:
            return Credentials(self.credentials.username, "changed-" + secrets.token_hex(8))
        return self.credentials

    def check(self, header: str | None, method: str) -> bool:
        """Whether a request with this Authorization header may proceed."""
        if self.mode == "none":
            return True
        if self.mode == "basic":
            return check_basic(header, self._expected())
        return check_digest(header, self._expected(), realm=self.realm, method=method, nonce_ok=set(self._nonces))

    def challenge(self) -> str:
        """A fresh WWW-Authenticate value."""
        if self.mode == "basic":
            return basic_challenge(self.realm)
        nonce = secrets.token_hex(16)
        self._nonces.append(nonce)
        return digest_challenge(self.realm, nonce)
