"""Liveness and readiness (unauthenticated: says nothing but whether the parts answer)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from control_room.api.deps import ContextDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health of the control room")
def healthz(ctx: ContextDep) -> dict[str, object]:
    """``status`` ok when the store answers; ``mqtt`` tells whether the broker is connected."""
    try:
        with ctx.store.session() as s:
            s.execute(text("SELECT 1"))
        db = "ok"
    except Exception:
        db = "unreachable"
    return {
        "status": "ok" if db == "ok" else "degraded",
        "store": db,
        "mqtt": "connected" if ctx.mqtt.connected else "disconnected",
    }
