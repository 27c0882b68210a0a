"""The evidence-package manifest, shared by the edge (export on site, ``cityedge evidence verify``) and the
control room (export through the API), so both write the same format and one verifier checks both.

Pure functions: building the manifest and its seal; file hashing is the caller's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from edge.contract.clips import ClipInfo

FORMAT = "cityedge-evidence/1"
MANIFEST = "manifest.json"


def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes the seal covers: the manifest without ``seal``, keys sorted, no whitespace, UTF-8."""
    body = {k: v for k, v in manifest.items() if k != "seal"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(manifest: dict[str, Any], key: bytes | None) -> dict[str, str]:
    """The seal of a manifest: its canonical SHA-256, and the HMAC-SHA256 when a key is given."""
    data = canonical(manifest)
    out = {"sha256": hashlib.sha256(data).hexdigest()}
    if key:
        out["hmac_sha256"] = hmac.new(key, data, hashlib.sha256).hexdigest()
    return out


def build_manifest(
    info: ClipInfo,
    files: list[dict[str, Any]],
    exported_by: str,
    exported_at: str,
    reason: str,
    key: bytes | None,
    node: str | None = None,
) -> dict[str, Any]:
    """A sealed manifest for ``info``; ``files`` holds ``{path, bytes, sha256}`` of every file in the package."""
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "node": node,
        "camera": info.camera,
        "clip_id": info.clip_id,
        "clip": {
            "start": info.start,
            "end": info.end,
            "start_ts": info.start_ts,
            "end_ts": info.end_ts,
            "frames": info.frames,
            "width": info.width,
            "height": info.height,
            "codec": info.codec,
            "recorded_at": info.recorded_at,
            "recorded_sha256": info.sha256,
        },
        "events": info.events,
        "exported_by": exported_by,
        "exported_at": exported_at,
        "reason": reason,
        "files": files,
    }
    manifest["seal"] = seal(manifest, key)
    return manifest
