"""Turning an announcement request into the ``announce`` command it sends, and telling when it is sensitive.

The same checks run when the request arrives and, for an announcement to every zone, again when a supervisor
approves it (the system, zones and message must still be there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from pydantic import ValidationError
from sqlalchemy.orm import Session

from control_room.pa import lookup
from control_room.pa.views import AnnouncementRequest
from control_room.sensitive import PA_ANNOUNCE_ALL, CommandSpec, PlanInvalid, SensitivePlan, mode_word, quoted
from control_room.store.models import Device
from edge.contract.payloads import describe_validation_error

PA_TTL_S = 10


@dataclass(frozen=True)
class AnnouncementPlan:
    """A validated announcement: the PA system, the zones it reaches and the ``announce`` arguments."""

    dev: Device
    zones: list[int]
    args: dict[str, Any]
    body: AnnouncementRequest

    @property
    def sensitive(self) -> bool:
        """Every zone of the system (a city-wide broadcast): the two-person rule applies."""
        return self.zones == lookup.zone_numbers(self.dev)

    def command(self) -> CommandSpec:
        """The ``announce`` command."""
        return CommandSpec(self.dev.node_id, self.dev.id, "announce", self.args, PA_TTL_S)

    def summary(self) -> str:
        """One sentence for the approver, e.g. "LIVE evacuate announcement to all 8 zones of City PA: message 1
        'Evacuate now'"."""
        body = self.body
        priority = body.priority if isinstance(body.priority, str) else f"priority-{body.priority}"
        kind = "announcement" if priority == "announcement" else f"{priority} announcement"
        group = f" (group {body.group!r})" if body.group else ""
        if body.message_id is not None:
            names = {int(m["id"]): str(m.get("name", "")) for m in self.dev.capabilities.get("messages", [])}
            content = f"message {body.message_id} {quoted(names.get(body.message_id, ''))}"
        else:
            content = f"spoken text {quoted(body.text or '')}"
        repeat = f", {body.repeat + 1} plays" if body.repeat else ""
        system = self.dev.label or self.dev.id
        return f"{mode_word(body.mode)} {kind} to all {len(self.zones)} zones{group} of {system}: {content}{repeat}"

    def targets(self) -> dict[str, Any]:
        """What the request reaches, kept with an approval to check nothing moved before it is sent."""
        return {"node_id": self.dev.node_id, "system": self.dev.id, "zones": self.zones}

    def params(self) -> dict[str, Any]:
        """The request body, with the system pinned: the approval sends to the system the requester saw."""
        return self.body.model_dump(mode="json", exclude_none=True) | {"system": f"{self.dev.node_id}/{self.dev.id}"}

    def sensitive_plan(self) -> SensitivePlan:
        """The request as an action waiting for approval."""
        return SensitivePlan(
            action=PA_ANNOUNCE_ALL,
            summary=self.summary(),
            params=self.params(),
            mode=self.body.mode,
            targets=self.targets(),
            commands=[self.command()],
        )


def plan_announcement(s: Session, body: AnnouncementRequest) -> AnnouncementPlan:
    """Check the request against the PA system it names (404/409/422 naming the problem)."""
    dev = lookup.system(s, body.system)
    zones = lookup.resolve_zones(dev, body.zones, body.group)
    known = {int(m["id"]) for m in dev.capabilities.get("messages", [])}
    if body.message_id is not None and body.message_id not in known:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"message {body.message_id} is not in {dev.id}")
    limit = int(dev.capabilities.get("max_text_chars", 400))
    if body.text is not None and len(body.text) > limit:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"the text is {len(body.text)} characters; the limit is {limit}"
        )
    args = body.model_dump(exclude={"mode", "system"}, exclude_none=True)
    return AnnouncementPlan(dev, zones, args, body)


def replan_announcement(s: Session, params: dict[str, Any]) -> SensitivePlan:
    """A stored all-zones announcement, checked again now (PlanInvalid naming what no longer holds)."""
    try:
        body = AnnouncementRequest.model_validate(params)
        plan = plan_announcement(s, body)
    except ValidationError as err:
        raise PlanInvalid(describe_validation_error(err)) from err
    except HTTPException as err:
        raise PlanInvalid(str(err.detail)) from err
    return plan.sensitive_plan()
