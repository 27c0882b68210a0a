"""Every payload model round-trips through JSON; bad payloads are rejected naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from edge.contract import payloads as p
from edge.contract.errors import PayloadError
from edge.contract.lighting import LightingZoneState, LuminaireState, SetLevelArgs

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

EXAMPLES: list[BaseModel] = [
    p.ControlState(host="jccr", online=True, ts=NOW),
    p.NodeState(online=False, birth_seq=7),
    p.NodeState(online=True, birth_seq=8, version="0.1.0", started_at=NOW, ts=NOW),
    p.NodeBirth(
        node="edge-1",
        birth_seq=8,
        version="0.1.0",
        started_at=NOW,
        devices=[p.DeviceDescription(id="cheapside", kind="lighting_zone", label="Cheapside", commands=["set_level"])],
        ts=NOW,
    ),
    p.DeviceState(kind="luminaire", seq=3, birth_seq=8, ts=NOW, state={"level": 40, "faults": []}),
    p.Event(
        event_id="01a2-x",
        seq=1,
        birth_seq=8,
        ts=NOW,
        type="lighting.level_set",
        severity=p.Severity.INFO,
        data={"level": 40},
    ),
    p.Alert(
        alert_id="lamp_failure",
        type="lamp_failure",
        severity=p.Severity.MINOR,
        message="lamp failed",
        raised_at=NOW,
        location="Cheapside",
    ),
    p.Command(
        command_id="c-1",
        issued_by="alice",
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=30),
        action="set_level",
        args={"level": 40},
        approval=p.Approval(request_id="r1", requested_by="alice", approved_by="bob", approved_at=NOW),
    ),
    p.NodeCommand(
        command_id="n-1", issued_by="jccr", issued_at=NOW, expires_at=NOW, action="replay_from", args={"seq": 5}
    ),
    p.CommandResponse(
        command_id="c-1",
        node="edge-1",
        device="cheapside",
        stage=p.CommandStage.SUCCEEDED,
        state_after={"x": 1},
        ts=NOW,
    ),
    SetLevelArgs(level=40, duration_s=60),
    LuminaireState(online=True, level=40, power_w=24.0, energy_wh=1.5, faults=["LAMP_FAILURE"], zone="cheapside"),
    LightingZoneState(commanded=40, reported=40, luminaires=3, online=3, at_level=3),
]


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(model: BaseModel) -> None:
    wire = p.encode(model)
    again = p.decode(type(model), wire)
    assert again == model
    assert p.encode(again) == wire


def test_unknown_key_is_rejected_by_name() -> None:
    with pytest.raises(PayloadError, match=r"colour: Extra inputs are not permitted"):
        p.decode(p.NodeState, b'{"online": true, "birth_seq": 1, "colour": "red"}')


def test_not_json_and_not_object() -> None:
    with pytest.raises(PayloadError, match="not valid JSON"):
        p.decode(p.Event, b"\x00\xff{")
    with pytest.raises(PayloadError, match="must be a JSON object"):
        p.decode(p.Event, b"[1, 2]")


def test_command_without_expiry_is_invalid() -> None:
    with pytest.raises(PayloadError, match="expires_at: Field required"):
        p.decode(
            p.Command, b'{"command_id": "c", "issued_by": "a", "issued_at": "2026-01-01T00:00:00Z", "action": "x"}'
        )


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(PayloadError, match="ts"):
        p.decode(p.Event, b'{"event_id":"e","seq":1,"birth_seq":0,"ts":"2026-01-01T00:00:00","type":"t"}')


def test_severity_maps_to_operator_priority() -> None:
    assert [s.priority for s in p.Severity] == [1, 2, 3, 4, 5]
    assert p.Severity.CRITICAL.priority == 1


def test_only_accepted_is_not_terminal() -> None:
    assert {s for s in p.CommandStage if not s.terminal} == {p.CommandStage.ACCEPTED}
