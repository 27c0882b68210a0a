"""DALI wire timing at 1200 bit/s (IEC 62386-101), used by the simulator and by benchmark floors.

A forward frame is 1 start bit + 16 data bits + 2 stop bits (19 bit times, 15.8 ms); a backward frame is
1 + 8 + 2 (11 bit times, 9.2 ms) and starts 5.5-10.5 ms after the forward frame. The settling time after a
command without answer is chosen so that one such command occupies 22 ms of the line, the figure the
project's floor uses ("frames x 22 ms per line").
"""

from __future__ import annotations

BIT_S = 1 / 1200
STOP_BITS = 2


def frame_s(nbits: int) -> float:
    """Seconds a frame of ``nbits`` data bits occupies the line (start bit, data, stop bits)."""
    return (1 + nbits + STOP_BITS) * BIT_S


FORWARD_16_S = frame_s(16)
BACKWARD_S = frame_s(8)
ANSWER_DELAY_S = 0.007
ANSWER_WINDOW_S = 0.0105
SETTLE_AFTER_FORWARD_S = 0.022 - FORWARD_16_S
SETTLE_AFTER_BACKWARD_S = 0.0024

COMMAND_SLOT_S = FORWARD_16_S + SETTLE_AFTER_FORWARD_S
QUERY_SLOT_S = FORWARD_16_S + ANSWER_DELAY_S + BACKWARD_S + SETTLE_AFTER_BACKWARD_S
NO_ANSWER_SLOT_S = FORWARD_16_S + ANSWER_WINDOW_S + BACKWARD_S + SETTLE_AFTER_BACKWARD_S
SEND_TWICE_LIMIT_S = 0.100
