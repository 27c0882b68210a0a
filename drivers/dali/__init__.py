"""DALI (IEC 62386) lighting through a Lunatone LUBA RS-232 gateway.

Layers: :mod:`drivers.dali.luba_codec` (gateway frames, pure), :mod:`drivers.dali.gear_codec` (DALI answers, pure),
:mod:`drivers.dali.dimming` (the logarithmic curve), :mod:`drivers.dali.timing` (wire times),
:mod:`drivers.dali.gateway` (the port, matching, reconnect) and :mod:`drivers.dali.bus` (gear commands on one line).
DALI frames and gear commands come from python-dali (``dali.frame``, ``dali.gear.general``).
"""
