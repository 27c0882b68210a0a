"""Prometheus metrics (authorised: engineers and admins, or a scraper's bearer token)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from control_room.api.deps import ContextDep, MetricsReader

router = APIRouter(tags=["metrics"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(user: MetricsReader, ctx: ContextDep) -> Response:
    """Messages in/out, command stages, reconnects, ingest queue, per-node outbox depth."""
    ctx.metrics.ws_clients.set(ctx.hub.clients)
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
