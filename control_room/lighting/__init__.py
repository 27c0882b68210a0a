"""Lighting in the control room: zone and luminaire views, schedules per node, energy reports."""
