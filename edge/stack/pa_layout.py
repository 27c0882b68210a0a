"""The demo city's public address: sixteen zones, their groups and the controller's message library.

The message library must match what the PA simulator holds by default (``simulators/pa/store.py``); a test
checks they agree, since the edge may not import the simulators.
"""

from __future__ import annotations

PA_ZONES = [
    "London Bridge north",
    "London Bridge south",
    "Southwark Bridge",
    "Millennium Bridge",
    "Blackfriars Bridge",
    "Tower Bridge approach",
    "Cheapside west",
    "Cheapside east",
    "Bank junction",
    "Mansion House",
    "Guildhall yard",
    "Moorgate",
    "Liverpool Street",
    "Leadenhall Market",
    "Fenchurch Street",
    "St Paul's churchyard",
]

PA_GROUPS = {"Bridges": [1, 2, 3, 4, 5, 6], "Cheapside": [7, 8], "Bank": [9, 10], "East": [13, 14, 15]}

PA_MESSAGES = [
    (0x01, "Evacuate: leave the area now by the nearest safe route", 8.0),
    (0x02, "Alert: an incident is being dealt with, stand by for instructions", 7.0),
    (0x03, "Please keep clear of the carriageway", 5.0),
    (0x10, "The bridge will close to traffic shortly", 5.0),
    (0x11, "Please keep your belongings with you", 4.0),
    (0x12, "This is a test of the public address system", 4.0),
    (0x20, "Background music", 30.0),
]


def pa_config_toml(url: str, line_output: str) -> str:
    """The ``[pa]`` section of the demo edge config."""
    lines = [
        "[pa]",
        f'url = "{url}"',
        f'line_output = "{line_output}"',
        'label = "City public address"',
        'location = "Guildhall control point"',
        "",
        "[pa.groups]",
        *(f"{name} = {members}" for name, members in PA_GROUPS.items()),
        "",
        "[pa.system_test]",
        "audible = false",
        'times = ["10:00"]',
        "weekdays = [0]",
        "",
    ]
    for number, name in enumerate(PA_ZONES, 1):
        lines += ["[[pa.zones]]", f"number = {number}", f'name = "{name}"', ""]
    for mid, name, duration in PA_MESSAGES:
        lines += ["[[pa.messages]]", f"id = {mid}", f'name = "{name}"', f"duration_s = {duration}", ""]
    return "\n".join(lines)
