"""Lighting on the edge: zones over DALI and MQTT street-light nodes, schedules, overrides (pure logic here)."""
