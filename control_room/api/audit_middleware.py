"""Every state-changing API request leaves at least one audit row, refused ones included.

Handlers audit what they do (``alert.ack``, ``command.set_level`` …). This middleware watches each POST, PUT, PATCH
and DELETE under ``/api/``: if no audit row was committed while it was served — a 401, 403, 404, 409 or 422, or a
handler that audits nothing — it writes one, ``http.<method>`` with the path and status, before the response goes
out. Request bodies are never stored (a login form holds a password).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from control_room.audit import Actor, RequestAudit, begin_request, end_request, record
from control_room.store.db import Store

log = logging.getLogger(__name__)

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def result_of(status: int) -> str:
    """The audit result for an HTTP status."""
    if status < 400:
        return "ok"
    if status in (401, 403, 429):
        return "denied"
    if status < 500:
        return "rejected"
    return "error"


class AuditMiddleware:
    """Pure ASGI middleware (the handler's threads inherit its context variable)."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        marker, token = begin_request()
        started = False

        async def send_audited(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                await self._ensure_row(scope, marker, int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        except Exception:
            if not started:
                started = True
                await self._ensure_row(scope, marker, 500)
            raise
        finally:
            end_request(token)

    async def _ensure_row(self, scope: Scope, marker: RequestAudit, status: int) -> None:
        if marker.committed:
            return
        client = scope.get("client")
        ip = client[0] if client else None
        actor = marker.caller or Actor("anonymous", None, ip)
        params: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "status": status}
        try:
            await anyio.to_thread.run_sync(self._write, actor, scope["method"], scope["path"], params, status)
        except Exception:
            log.exception("could not audit %s %s (%d)", scope["method"], scope["path"], status)

    def _write(self, actor: Actor, method: str, path: str, params: dict[str, Any], status: int) -> None:
        with self.store.session() as s:
            record(s, actor, f"http.{method.lower()}", path[:300], params, result_of(status))
