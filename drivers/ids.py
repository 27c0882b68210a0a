"""Device id ranges, as written in configs: ``"sl-0001..sl-0040"`` means forty ids."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^(?P<prefix>.*?)(?P<a>\d+)\.\.(?P=prefix)(?P<b>\d+)$")
MAX_RANGE = 100_000


def expand_ids(items: list[str]) -> list[str]:
    """Expand ranges (zero padding kept); other items pass through unchanged. Raises ValueError on a bad range."""
    out: list[str] = []
    for item in items:
        m = _RANGE.match(item)
        if not m:
            out.append(item)
            continue
        a, b, width = int(m["a"]), int(m["b"]), len(m["a"])
        if b < a:
            raise ValueError(f"range {item!r} runs backwards")
        if b - a >= MAX_RANGE:
            raise ValueError(f"range {item!r} is larger than {MAX_RANGE} ids")
        out.extend(f"{m['prefix']}{n:0{width}d}" for n in range(a, b + 1))
    return out
