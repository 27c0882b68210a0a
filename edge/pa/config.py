"""Settings of the PA engine: the controller link, zones and groups, the message library, speech, schedules."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.pa.priorities import PriorityName
from edge.pa.schedule_model import ScheduleSettings, SystemTestSettings


class Strict(BaseModel):
    """Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class PaZoneSettings(Strict):
    """One loudspeaker zone of the head-end."""

    number: int = Field(ge=1, le=32, description="Zone number on the controller (1-32).")
    name: str = Field(min_length=1, max_length=64, description="Name operators see, e.g. 'Tower Bridge north'.")


class PaMessageSettings(Strict):
    """A pre-recorded message held in the controller's store."""

    id: int = Field(ge=1, le=255, description="Message slot id on the controller (1-255).")
    name: str = Field(min_length=1, max_length=120, description="What the message says, for operators.")
    duration_s: float = Field(gt=0, le=600, description="Length of the recording in seconds.")


class TtsSettings(Strict):
    """Offline speech for free-text announcements."""

    voice: str = Field(default="en-gb", description="espeak-ng voice.")
    words_per_minute: int = Field(default=150, ge=80, le=300, description="Speaking rate.")
    max_chars: int = Field(default=400, ge=10, le=2000, description="Longest text accepted.")


DEFAULT_CHIMES = {
    PriorityName.EVACUATE: 3,
    PriorityName.ALERT: 3,
    PriorityName.ANNOUNCEMENT: 1,
    PriorityName.ROUTINE: 1,
    PriorityName.BACKGROUND: 0,
}


class PaSettings(Strict):
    """The PA head-end this edge drives and how announcements are made."""

    device_id: str = Field(
        default="pa",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,55}$",
        description="Device id of the head-end on this node; zones become '<id>-zone-NN'.",
    )
    label: str = Field(default="Public address", max_length=200, description="Name shown to operators.")
    location: str | None = Field(default=None, max_length=200, description="Where the head-end is.")
    url: str = Field(description="Serial URL of the controller: /dev/ttyUSB0, socket://host:port, a pty path.")
    baudrate: int = Field(default=9600, ge=1200, le=19200, description="Line speed (1200-19200).")
    address: int = Field(default=1, ge=0, le=255, description="Controller address on the line.")
    line_output: str = Field(description="Where speech is played: tcp://host:port or alsa:DEVICE.")
    zones: list[PaZoneSettings] = Field(min_length=1, description="The zones of the head-end.")
    groups: dict[str, list[int]] = Field(
        default_factory=dict, description="Named zone groups, e.g. {'Bridges': [1, 2]}; 'All City' is implied."
    )
    amplifiers: dict[int, list[int]] = Field(
        default_factory=dict, description="Which zones each amplifier feeds (names the zones an AMP fault hits)."
    )
    messages: list[PaMessageSettings] = Field(default_factory=list, description="The controller's message library.")
    chimes: dict[PriorityName, int] = Field(
        default_factory=lambda: dict(DEFAULT_CHIMES),
        description="Chime id played before an announcement of each priority (0: none).",
    )
    tts: TtsSettings = Field(default_factory=TtsSettings, description="Speech settings.")
    poll_interval_s: float = Field(default=5.0, gt=0, le=10, description="Controller poll period.")
    answer_timeout_s: float = Field(default=0.1, gt=0, le=2, description="Time the controller has to answer.")
    max_wait_s: float = Field(default=600.0, gt=0, description="Queued zones expire after this long.")
    call_grace_s: float = Field(default=10.0, gt=0, description="Slack before a call with no end report fails.")
    progress_every_s: float = Field(
        default=4.0,
        gt=0,
        le=30,
        description="A playing announcement repeats its progress this often; keep it below the control room's "
        "command_grace_s, which marks a silent command unknown.",
    )
    schedules: list[ScheduleSettings] = Field(default_factory=list, description="Scheduled announcements.")
    system_test: SystemTestSettings = Field(default_factory=SystemTestSettings, description="The system test.")

    @field_validator("zones")
    @classmethod
    def _unique_zones(cls, zones: list[PaZoneSettings]) -> list[PaZoneSettings]:
        numbers = [z.number for z in zones]
        if len(set(numbers)) != len(numbers):
            raise ValueError("zone numbers must be unique")
        return zones

    @model_validator(mode="after")
    def _groups_name_known_zones(self) -> PaSettings:
        known = {z.number for z in self.zones}
        for name, members in self.groups.items():
            unknown = sorted(set(members) - known)
            if unknown:
                raise ValueError(f"group {name!r} names unknown zones {unknown}")
            if not members:
                raise ValueError(f"group {name!r} is empty")
        ids = [m.id for m in self.messages]
        if len(set(ids)) != len(ids):
            raise ValueError("message ids must be unique")
        for amp, members in self.amplifiers.items():
            if set(members) - known:
                raise ValueError(f"amplifier {amp} feeds unknown zones {sorted(set(members) - known)}")
        groups = self.zone_groups()
        for s in self.schedules:
            if s.group is not None and s.group not in groups:
                raise ValueError(f"schedule {s.id!r} names unknown group {s.group!r}")
            if s.zones is not None and set(s.zones) - known:
                raise ValueError(f"schedule {s.id!r} names unknown zones {sorted(set(s.zones) - known)}")
            if s.message_id is not None and s.message_id not in ids:
                raise ValueError(f"schedule {s.id!r} plays message {s.message_id}, which is not in 'messages'")
        test = self.system_test
        if test.message_id is not None and test.message_id not in ids:
            raise ValueError(f"system_test plays message {test.message_id}, which is not in 'messages'")
        if test.zones is not None and set(test.zones) - known:
            raise ValueError(f"system_test names unknown zones {sorted(set(test.zones) - known)}")
        return self

    def zone_groups(self) -> dict[str, frozenset[int]]:
        """Configured groups plus 'All City' (every zone)."""
        groups = {name: frozenset(members) for name, members in self.groups.items()}
        groups.setdefault("All City", frozenset(z.number for z in self.zones))
        return groups
