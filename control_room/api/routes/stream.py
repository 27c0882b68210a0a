"""``/api/v1/stream``: state changes, events, alerts and command stages pushed as they happen."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from control_room.api.deps import authenticate
from control_room.context import AppContext
from control_room.security.roles import Perm, allowed

router = APIRouter(tags=["stream"])


@router.websocket("/api/v1/stream")
async def stream(ws: WebSocket) -> None:
    """Authenticate with ``?access_token=`` (browsers cannot set headers on WebSockets) or a bearer header.

    Messages are JSON ``{"type": node|device|device_state|event|alert|alert_escalated|command, "ts", "data"}``.
    """
    ctx: AppContext = ws.app.state.ctx
    token = ws.query_params.get("access_token")
    auth = ws.headers.get("authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:]
    try:
        user = await asyncio.to_thread(authenticate, ctx, token, ws.client.host if ws.client else None)
    except Exception:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="not authenticated")
        return
    if not allowed(user.role, Perm.READ):
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
        if sub.overflowed.is_set():
            with contextlib.suppress(Exception):
                await ws.close(code=status.WS_1013_TRY_AGAIN_LATER, reason="too slow; reconnect")
