"""The two-person rule: a sensitive action waits, unsent, until a second person with the supervisor role approves it.

States: ``pending`` → ``approved`` (the commands are sent at once, carrying the approval) | ``rejected`` |
``cancelled`` | ``expired`` (nobody decided within ``approval_timeout_s``; nothing is sent). Every transition is
one conditional UPDATE from ``pending``, so two supervisors clicking at once, or a click racing the expiry sweep,
give exactly one winner, one audit row and one message on the stream.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from control_room.approval_views import approval_view
from control_room.audit import Actor, record
from control_room.commands import CommandService
from control_room.errors import BrokerUnavailable
from control_room.hub import Hub
from control_room.lighting.overrides import replan_override_all
from control_room.pa.announce import replan_announcement
from control_room.security.roles import Role
from control_room.sensitive import LIGHTING_OVERRIDE_ALL, PA_ANNOUNCE_ALL, PlanInvalid, SensitivePlan
from control_room.store.db import Store
from control_room.store.models import ApprovalRow
from edge.contract.payloads import Approval

log = logging.getLogger(__name__)

ApprovalState = Literal["pending", "approved", "rejected", "expired", "cancelled"]
APPROVER_ROLE = Role.SUPERVISOR
SYSTEM = Actor("control-room")

REPLANNERS: dict[str, Callable[[Session, dict[str, Any]], SensitivePlan]] = {
    PA_ANNOUNCE_ALL: replan_announcement,
    LIGHTING_OVERRIDE_ALL: replan_override_all,
}


class ApprovalError(Exception):
    """Base of approval errors; the message is one sentence for the person who clicked."""


class ApprovalNotFound(ApprovalError):
    """No such approval request."""


class ApprovalForbidden(ApprovalError):
    """This person may not take this decision (wrong role, or it is their own request)."""


class ApprovalConflict(ApprovalError):
    """The request is no longer pending, or no longer holds as asked."""


class ApprovalGone(ApprovalError):
    """The request expired before anyone decided."""


@dataclass
class Decision:
    """The outcome of an approval: the request as it now stands and the commands that could not be sent."""

    approval: dict[str, Any]
    unsent: list[str] = field(default_factory=list)
    problem: str = ""


class ApprovalService:
    """Stores sensitive requests, applies the two-person rule, sends on approval, expires what nobody decided."""

    def __init__(
        self, store: Store, hub: Hub, commands: CommandService, timeout_s: float, sweep_every_s: float = 1.0
    ) -> None:
        self.store = store
        self.hub = hub
        self.commands = commands
        self.timeout_s = timeout_s
        self.sweep_every_s = sweep_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the expiry sweep."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="approval-expiry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the expiry sweep."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.sweep_every_s):
            try:
                self.expire_due()
            except Exception:
                log.exception("approval expiry sweep failed")

    # ---- transitions --------------------------------------------------------------------------------------------

    def request(self, actor: Actor, plan: SensitivePlan) -> dict[str, Any]:
        """Store a sensitive request as ``pending`` (nothing is sent) and tell everyone."""
        now = datetime.now(UTC)
        row = ApprovalRow(
            id=str(uuid.uuid4()),
            action=plan.action,
            summary=plan.summary,
            params=plan.params,
            targets=plan.targets,
            mode=plan.mode,
            requested_by=actor.username,
            requested_role=actor.role,
            requested_at=now,
            expires_at=now + timedelta(seconds=self.timeout_s),
            state="pending",
            reason="",
            command_ids=[],
        )
        with self.store.session() as s:
            s.add(row)
            record(s, actor, "approval.request", row.id, self._audit_params(row), result="pending")
            view = approval_view(row)
        log.info("approval %s requested by %s: %s", row.id, actor.username, row.summary)
        self.hub.publish_threadsafe("approval", view)
        return view

    def approve(self, actor: Actor, approval_id: str) -> Decision:
        """A supervisor other than the requester approves: the commands go out at once, carrying the approval."""
        row = self._decidable(actor, approval_id, "approve")
        try:
            with self.store.session() as s:
                plan = REPLANNERS[row.action](s, row.params)
                if plan.targets != row.targets:
                    raise PlanInvalid(
                        f"what it reaches changed since it was asked for (then {_targets(row.targets)}, now "
                        f"{_targets(plan.targets)}); make a new request"
                    )
        except PlanInvalid as err:
            message = f"approval {approval_id} cannot be carried out: {err}"
            self._refused(actor, row, "approve", f"refused: no longer valid ({err})"[:64])
            raise ApprovalConflict(message) from err
        now = datetime.now(UTC)
        won = self._transition(row.id, "approved", actor, now, "", "approval.approve")
        if won is None:
            raise self._lost(row.id)
        approval = Approval(
            request_id=row.id, requested_by=row.requested_by, approved_by=actor.username, approved_at=now
        )
        requester = Actor(row.requested_by, row.requested_role)
        sent: list[str] = []
        unsent: list[str] = []
        problem = ""
        for spec in plan.commands:
            command_id = str(uuid.uuid4())
            sent.append(command_id)
            try:
                self.commands.issue(
                    requester,
                    spec.node_id,
                    spec.device_id,
                    spec.action,
                    spec.args,
                    spec.ttl_s,
                    plan.mode,
                    approval=approval,
                    command_id=command_id,
                )
            except BrokerUnavailable as err:
                unsent.append(command_id)
                problem = str(err)
        with self.store.session() as s:
            s.execute(update(ApprovalRow).where(ApprovalRow.id == row.id).values(command_ids=sent))
            stored = s.get(ApprovalRow, row.id)
            assert stored is not None
            view = approval_view(stored)
        self.hub.publish_threadsafe("approval", view)
        log.info(
            "approval %s approved by %s (requested by %s): %d command(s) sent%s",
            row.id,
            actor.username,
            row.requested_by,
            len(sent) - len(unsent),
            f", {len(unsent)} not sent: {problem}" if unsent else "",
        )
        return Decision(view, unsent, problem)

    def reject(self, actor: Actor, approval_id: str, reason: str) -> dict[str, Any]:
        """A supervisor other than the requester refuses it: nothing is sent."""
        row = self._decidable(actor, approval_id, "reject")
        view = self._transition(row.id, "rejected", actor, datetime.now(UTC), reason, "approval.reject")
        if view is None:
            raise self._lost(row.id)
        return view

    def cancel(self, actor: Actor, approval_id: str, reason: str = "") -> dict[str, Any]:
        """The requester (or a supervisor) withdraws it: nothing is sent."""
        row = self._pending(actor, approval_id, "cancel")
        if actor.username != row.requested_by and actor.role != APPROVER_ROLE:
            self._refused(actor, row, "cancel", "refused: not the requester")
            raise ApprovalForbidden(
                f"only {row.requested_by}, who asked for it, or a supervisor may cancel approval request {row.id}"
            )
        view = self._transition(row.id, "cancelled", actor, datetime.now(UTC), reason, "approval.cancel")
        if view is None:
            raise self._lost(row.id)
        return view

    def expire_due(self) -> int:
        """Pending requests past their time become ``expired`` (audited and published once each)."""
        now = datetime.now(UTC)
        with self.store.session() as s:
            due = list(
                s.execute(
                    select(ApprovalRow.id)
                    .where(ApprovalRow.state == "pending", ApprovalRow.expires_at <= now)
                    .limit(500)
                ).scalars()
            )
        views = [v for v in (self._transition(i, "expired", SYSTEM, now, "", "approval.expire") for i in due) if v]
        for view in views:
            log.info("approval %s expired unsent: %s", view["id"], view["summary"])
        return len(views)

    # ---- helpers ------------------------------------------------------------------------------------------------

    def _decidable(self, actor: Actor, approval_id: str, verb: str) -> ApprovalRow:
        """The request, if ``actor`` may approve or reject it: role exactly supervisor, not the requester."""
        row = self._load(approval_id)
        if actor.role != APPROVER_ROLE:
            self._refused(actor, row, verb, f"refused: role {actor.role}")
            raise ApprovalForbidden(
                f"only a supervisor may {verb} a sensitive action (two-person rule); your role is {actor.role}"
            )
        if actor.username == row.requested_by:
            self._refused(actor, row, verb, "refused: own request")
            raise ApprovalForbidden(
                f"you asked for this action yourself: a second person with the supervisor role must {verb} it"
            )
        return self._pending(actor, approval_id, verb, row)

    def _pending(self, actor: Actor, approval_id: str, verb: str, row: ApprovalRow | None = None) -> ApprovalRow:
        row = row or self._load(approval_id)
        if row.state == "pending" and row.expires_at <= datetime.now(UTC):
            self.expire_due()
            row = self._load(approval_id)
        if row.state == "expired":
            raise ApprovalGone(f"approval request {row.id} expired at {_hm(row.expires_at)} unsent; ask again")
        if row.state != "pending":
            raise ApprovalConflict(_decided(row))
        return row

    def _load(self, approval_id: str) -> ApprovalRow:
        with self.store.session() as s:
            row = s.get(ApprovalRow, approval_id)
            if row is None:
                raise ApprovalNotFound(f"no approval request {approval_id}")
            return row

    def _lost(self, approval_id: str) -> ApprovalError:
        """Someone else decided between our check and our update."""
        row = self._load(approval_id)
        if row.state == "pending" and row.expires_at <= datetime.now(UTC):
            self.expire_due()
            row = self._load(approval_id)
        if row.state == "expired":
            return ApprovalGone(f"approval request {row.id} expired at {_hm(row.expires_at)} unsent; ask again")
        return ApprovalConflict(_decided(row))

    def _transition(
        self, approval_id: str, state: ApprovalState, actor: Actor, now: datetime, reason: str, audit_action: str
    ) -> dict[str, Any] | None:
        """Move a pending request to ``state``; None if it was not pending (someone else got there first)."""
        cond = [ApprovalRow.id == approval_id, ApprovalRow.state == "pending"]
        if state != "expired":
            cond.append(ApprovalRow.expires_at > now)
        with self.store.session() as s:
            done = s.execute(
                update(ApprovalRow)
                .where(*cond)
                .values(state=state, decided_by=actor.username, decided_at=now, reason=reason)
                .execution_options(synchronize_session=False)
            )
            if cast("CursorResult[Any]", done).rowcount != 1:
                return None
            row = s.get(ApprovalRow, approval_id, populate_existing=True)
            assert row is not None
            record(s, actor, audit_action, row.id, self._audit_params(row), result=state)
            view = approval_view(row)
        self.hub.publish_threadsafe("approval", view)
        return view

    def _refused(self, actor: Actor, row: ApprovalRow, verb: str, result: str) -> None:
        with self.store.session() as s:
            record(s, actor, f"approval.{verb}", row.id, {"summary": row.summary}, result=result)

    @staticmethod
    def _audit_params(row: ApprovalRow) -> dict[str, Any]:
        params: dict[str, Any] = {
            "action": row.action,
            "summary": row.summary,
            "mode": row.mode,
            "requested_by": row.requested_by,
            "expires_at": row.expires_at.isoformat(),
        }
        if row.reason:
            params["reason"] = row.reason
        if row.state == "pending":
            params["params"] = row.params
        return params


def _hm(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%H:%M:%S UTC")


def _decided(row: ApprovalRow) -> str:
    by = f" by {row.decided_by}" if row.decided_by else ""
    at = f" at {_hm(row.decided_at)}" if row.decided_at else ""
    return f"approval request {row.id} is already {row.state}{by}{at}"


def _targets(targets: dict[str, Any]) -> str:
    if "zones" in targets and "system" in targets:
        return f"{targets['node_id']}/{targets['system']} zones {targets['zones']}"
    return ", ".join(f"{z['node_id']}/{z['zone']}" for z in targets.get("zones", [])) or "nothing"
