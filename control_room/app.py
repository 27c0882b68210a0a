"""The app factory: builds one control room (store, MQTT, ingest, hub, routes, console) from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from control_room import __version__
from control_room.accounts import ensure_admin
from control_room.api.audit_middleware import AuditMiddleware
from control_room.api.headers import SecurityHeaders
from control_room.api.routes import (
    alerts,
    api_keys,
    approvals,
    audit,
    auth,
    cameras,
    clips,
    commands,
    console_session,
    events,
    health,
    lighting,
    metrics,
    nodes,
    pa,
    stream,
    users,
)
from control_room.approvals import ApprovalService
from control_room.audit_anchor import AuditAnchor
from control_room.commands import CommandService
from control_room.context import AppContext
from control_room.escalation import AlertEscalator
from control_room.hub import Hub
from control_room.ingest import Ingest
from control_room.live import LiveRelay
from control_room.metrics import ControlRoomMetrics
from control_room.mqtt_client import ControlMqtt
from control_room.security.console_sessions import ConsoleSessions
from control_room.security.tokens import TokenIssuer
from control_room.settings import Settings
from control_room.store.db import Store

log = logging.getLogger(__name__)

CONSOLE = Path(__file__).resolve().parent / "console" / "static"
ROUTERS = [
    health.router,
    auth.router,
    console_session.router,
    users.router,
    nodes.router,
    commands.router,
    events.router,
    lighting.router,
    cameras.router,
    cameras.alert_router,
    clips.router,
    pa.router,
    stream.router,
    metrics.router,
    approvals.router,
    api_keys.router,
    alerts.router,
    audit.router,
]


def build_context(settings: Settings) -> AppContext:
    """Create (not start) every part of a control room."""
    metrics = ControlRoomMetrics()
    store = Store(settings.resolved_database_url())
    hub = Hub(settings.ws_queue)
    ingest = Ingest(store, hub, metrics)
    mqtt = ControlMqtt(settings, metrics, ingest.submit, ingest.submit_puback)
    commands = CommandService(store, mqtt, hub, metrics, settings.command_grace_s)
    ingest.commands = commands
    tokens = TokenIssuer(settings.resolved_jwt_secret(), settings.token_ttl_s)
    console_sessions = ConsoleSessions(settings.resolved_jwt_secret(), settings.session_ttl_s, settings.session_idle_s)
    approvals = ApprovalService(store, hub, commands, settings.approval_timeout_s)
    return AppContext(
        settings,
        store,
        hub,
        metrics,
        mqtt,
        ingest,
        commands,
        tokens,
        LiveRelay(),
        console_sessions=console_sessions,
        approvals=approvals,
        escalator=AlertEscalator(store, hub, settings.alert_escalation_s),
        audit_anchor=AuditAnchor(settings.resolved_audit_anchor_path(), store, hub),
    )


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app for ``settings``. Start-up migrates the store, creates the first account, connects MQTT."""
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(ctx.store.migrate)
        admin_pw = settings.admin_password.get_secret_value() if settings.admin_password else None
        generated = await asyncio.to_thread(ensure_admin, ctx.store, admin_pw)
        if generated:
            # Printed once to the terminal that started the control room; never logged, stored only as a hash.
            print(f"first account created: admin / {generated}", flush=True)
        ctx.hub.bind(asyncio.get_running_loop())
        ctx.ingest.start()
        ctx.mqtt.start()
        ctx.approvals.start()
        background = [part for part in (ctx.audit_anchor, ctx.escalator) if part is not None]
        for part in background:
            part.start()
        log.info("control room %s started (store %s)", settings.host_id, ctx.store.engine.url.get_backend_name())
        try:
            yield
        finally:
            for part in reversed(background):
                await asyncio.to_thread(part.stop)
            await ctx.live.close()
            ctx.approvals.stop()
            ctx.mqtt.stop()
            ctx.ingest.stop()
            ctx.store.close()
            log.info("control room stopped")

    app = FastAPI(
        title="cityedge control room",
        version=__version__,
        description="The JCCR's API over city infrastructure: lighting, public address, CCTV, alerts.",
        lifespan=lifespan,
        # No Swagger UI / ReDoc: they load scripts from a CDN (the control room is offline) and need inline script
        # (refused by the CSP). The spec itself, with no secrets in it, stays public at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(SecurityHeaders)
    app.state.ctx = ctx
    app.add_middleware(AuditMiddleware, store=ctx.store)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/", StaticFiles(directory=CONSOLE, html=True), name="console")
    return app
