"""The ``cityedge`` command.

Subcommands owned by other programs (``control-room``, ``simulate``, ``bench``) are run as their own process
(``python -m PACKAGE``): the edge never imports the control room, simulators or benchmarks.
"""

from __future__ import annotations

import os
import sys

_EXTERNAL = {
    "control-room": "control_room",
    "simulate": "simulators",
    "bench": "bench",
}

USAGE = """usage: cityedge COMMAND [options]

commands:
  up             run the whole stack on this machine (broker, simulators, edge, control room)
  edge           run one edge node:            cityedge edge --config FILE
  control-room   run the control-room API and console
  simulate       run a device simulator:       cityedge simulate NAME --help
  bench          run a benchmark:              cityedge bench NAME --help
  cameras        examine cameras:              cityedge cameras probe URL | cameras discover
  evidence       check an evidence package:    cityedge evidence verify DIR

`cityedge COMMAND --help` describes each command's options.
"""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cityedge`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command in _EXTERNAL:
        os.execv(sys.executable, [sys.executable, "-m", _EXTERNAL[command], *rest])
    if command == "up":
        from edge.stack.up import main as up_main

        return up_main(rest)
    if command == "cameras":
        from edge.video.probe_cli import main as cameras_main

        return cameras_main(rest)
    if command == "evidence":
        from edge.video.evidence_cli import main as evidence_main

        return evidence_main(rest)
    if command == "edge":
        from edge.main import main as edge_main

        return edge_main(rest)
    print(f"cityedge: unknown command {command!r}\n\n{USAGE}", file=sys.stderr, end="")
    return 2


if __name__ == "__main__":
    sys.exit(main())
