"""What the edge's ``accepted`` stage says: the mode, the action, and the approval a sensitive command carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.contract.payloads import Approval, Command
from edge.intake import accepted_message

T0 = datetime(2026, 11, 24, 10, 2, 11, tzinfo=UTC)


def command(**extra: object) -> Command:
    return Command.model_validate(
        {
            "command_id": "c1",
            "issued_by": "olive",
            "issued_at": T0,
            "expires_at": T0 + timedelta(seconds=10),
            "action": "announce",
            **extra,
        }
    )


def test_plain_commands_say_mode_and_action() -> None:
    assert accepted_message(command()) == "live announce"
    assert accepted_message(command(mode="test")) == "test announce"


def test_an_approved_command_names_both_people() -> None:
    approval = Approval(request_id="apr-9", requested_by="olive", approved_by="sam", approved_at=T0)
    assert accepted_message(command(mode="test", approval=approval)) == (
        "test announce, approved by sam at 2026-11-24T10:02:11+00:00 "
        "(two-person rule: approval apr-9, requested by olive)"
    )
