"""``cityedge evidence``: verify an evidence package, or export a recorded clip as one.

Exit status of ``verify``: 0 intact, 1 something changed or is missing, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge.video.clip_store import ClipStore
from edge.video.errors import EvidenceError
from edge.video.evidence import export_clip, read_key, verify


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityedge evidence", description="Evidence packages of recorded clips.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="check that a package is exactly as exported")
    check.add_argument("folder", type=Path, help="the package folder (holding manifest.json)")
    check.add_argument("--key-file", type=Path, help="evidence key, to check the seal's HMAC")
    check.add_argument("--expect-digest", help="manifest digest recorded at export (audit log)")
    export = sub.add_parser("export", help="export a recorded clip as a package")
    export.add_argument("clip_id", help="clip id (UUID)")
    export.add_argument("--clips", type=Path, required=True, help="the recorder's clips folder")
    export.add_argument("--to", type=Path, required=True, help="folder to create the package in")
    export.add_argument("--by", required=True, help="who is exporting (recorded in the manifest)")
    export.add_argument("--reason", default="", help="why (case or incident reference)")
    export.add_argument("--key-file", type=Path, help="evidence key, to add an HMAC to the seal")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``evidence`` command."""
    args = _parser().parse_args(argv)
    try:
        key = read_key(args.key_file)
        if args.command == "export":
            folder, digest = export_clip(
                ClipStore(args.clips), args.clip_id, args.to, args.by, reason=args.reason, key=key
            )
            print(f"exported {folder}\nmanifest digest {digest}")
            return 0
        if not args.folder.is_dir():
            print(f"cityedge evidence: {args.folder} is not a folder", file=sys.stderr)
            return 2
        verdict = verify(args.folder, key=key, expect_digest=args.expect_digest)
    except EvidenceError as err:
        print(f"cityedge evidence: {err}", file=sys.stderr)
        return 2
    for note in verdict.notes:
        print(f"note: {note}")
    if not verdict.ok:
        for problem in verdict.problems:
            print(f"FAILED: {problem}")
        return 1
    m = verdict.manifest
    print(
        f"OK: {len(m['files'])} files intact; camera {m['camera']}, {m['clip']['start']} to {m['clip']['end']}, "
        f"exported by {m['exported_by']} at {m['exported_at']}; manifest digest {verdict.digest}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
