"""``/api/v1/stream``: state changes, events, alerts and command stages pushed as they happen."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from control_room.api.deps import CurrentUser, authenticate_credentials, caller_allowed
from control_room.context import AppContext
from control_room.security.console_sessions import SESSION_COOKIE, SessionInvalid
from control_room.security.roles import Perm

router = APIRouter(tags=["stream"])


@router.websocket("/api/v1/stream")
async def stream(ws: WebSocket) -> None:
    """Authenticate with ``?access_token=`` (browsers cannot set headers on WebSockets), a bearer header, an
    integrator's API key with ``events:read`` (in either, or in ``X-API-Key``), or the console's session cookie.

    With the cookie, the ``Origin`` must be this server (no cross-site WebSocket hijacking), and the session is
    re-checked every ``session_recheck_s``: a sign-out, expiry or disabled account closes the stream (1008).

    Messages are JSON ``{"type": node|device|device_state|event|alert|alert_escalated|command|approval, "ts", "data"}``.
    """
    ctx: AppContext = ws.app.state.ctx
    token = ws.query_params.get("access_token")
    auth = ws.headers.get("authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:]
    cookie = None if token or ws.headers.get("x-api-key") else ws.cookies.get(SESSION_COOKIE)
    ip = ws.client.host if ws.client else None
    if cookie and not same_origin(ws):
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="cross-origin")
        return
    try:
        if cookie:
            user = await asyncio.to_thread(session_stream_user, ctx, cookie, ip)
        else:
            api_key = ws.headers.get("x-api-key")
            user = await asyncio.to_thread(authenticate_credentials, ctx, token, api_key, ip, "GET", "/api/v1/stream")
    except Exception:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="not authenticated")
        return
    if not caller_allowed(user, Perm.READ):
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="not allowed")
        return
    await ws.accept()
    sub = ctx.hub.subscribe(user.username)
    ctx.metrics.ws_clients.set(ctx.hub.clients)
    await ws.send_json({"type": "hello", "data": {"user": user.username, "role": user.role}})

    async def pump() -> None:
        while True:
            text = await sub.queue.get()
            await ws.send_text(text)

    async def watch_client() -> None:
        while True:
            await ws.receive_text()  # pings from the console; a disconnect raises

    tasks = [
        asyncio.create_task(pump()),
        asyncio.create_task(watch_client()),
        asyncio.create_task(sub.overflowed.wait()),
    ]
    session_ended = asyncio.Event()
    if cookie:
        tasks.append(asyncio.create_task(watch_session(ctx, cookie, session_ended)))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        ctx.hub.unsubscribe(sub)
        ctx.metrics.ws_clients.set(ctx.hub.clients)
        if session_ended.is_set():
            with contextlib.suppress(Exception):
                await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="session ended")
        elif sub.overflowed.is_set():
            with contextlib.suppress(Exception):
                await ws.close(code=status.WS_1013_TRY_AGAIN_LATER, reason="too slow; reconnect")


def same_origin(ws: WebSocket) -> bool:
    """Whether the handshake's ``Origin`` names the host the browser connected to (``Host``)."""
    origin = ws.headers.get("origin")
    host = ws.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def session_stream_user(ctx: AppContext, raw_id: str, ip: str | None) -> CurrentUser:
    """The user of a live console session (opening the stream counts as activity)."""
    with ctx.store.session() as s:
        _row, user = ctx.console_sessions.resolve(s, raw_id)
        return CurrentUser(user.id, user.username, user.role, ip)


def _session_alive(ctx: AppContext, raw_id: str) -> bool:
    with ctx.store.session() as s:
        try:
            ctx.console_sessions.resolve(s, raw_id, touch=False)
        except SessionInvalid:
            return False
        return True


async def watch_session(ctx: AppContext, raw_id: str, ended: asyncio.Event) -> None:
    """Return (setting ``ended``) once the session is no longer valid."""
    while True:
        await asyncio.sleep(ctx.settings.session_recheck_s)
        if not await asyncio.to_thread(_session_alive, ctx, raw_id):
            ended.set()
            return
