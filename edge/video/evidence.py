"""Evidence packages: a clip, its snapshots and a manifest with the SHA-256 of every file; and their verifier.

A package is a folder::

    clip.mp4  snapshots/*.jpg  manifest.json

``manifest.json`` says which camera, which times, which events, who exported it and when, and lists each file
with its size and SHA-256. Its ``seal`` holds the SHA-256 of the manifest's canonical JSON (sorted keys, no
whitespace, without the seal), and an HMAC-SHA256 of it when the edge has an evidence key. The seal detects any
edit of the manifest that did not also recompute the seal; the HMAC, or the digest recorded in the audit log at
export time (``--expect-digest``), detects one that did.
"""

from __future__ import annotations

import hmac
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.contract.evidence import FORMAT, MANIFEST, build_manifest, seal
from edge.video.clip_store import ClipStore, iso, sha256_file, write_atomic
from edge.video.errors import EvidenceError


def export_clip(
    store: ClipStore,
    clip_id: str,
    destination: Path,
    exported_by: str,
    *,
    reason: str = "",
    key: bytes | None = None,
) -> tuple[Path, str]:
    """Copy a clip and its snapshots into a new package under ``destination``; returns (folder, manifest digest).

    Raises :class:`EvidenceError` when the clip is unknown, its recorded hash no longer matches (the clip changed
    on the edge since it was recorded), or the package folder already exists.
    """
    if not exported_by.strip():
        raise EvidenceError("an evidence export must name who exported it")
    try:
        info = store.get(clip_id)
    except Exception as err:
        raise EvidenceError(f"cannot export clip {clip_id}: {err}") from err
    source = store.mp4(info)
    if sha256_file(source) != info.sha256:
        raise EvidenceError(f"clip {clip_id} no longer matches the hash recorded when it was made")
    folder = destination / f"evidence-{info.camera}-{clip_id}"
    try:
        folder.mkdir(parents=True)
    except FileExistsError as err:
        raise EvidenceError(f"{folder} already exists") from err
    try:
        files = [_copy(source, folder, "clip.mp4")]
        for path in store.snapshot_paths(info):
            files.append(_copy(path, folder, f"snapshots/{path.name}"))
        manifest = build_manifest(info, files, exported_by, iso(time.time()), reason, key)
        write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)
        raise EvidenceError(f"cannot write evidence package {folder.name}: {err}") from err
    return folder, manifest["seal"]["sha256"]


def _copy(source: Path, folder: Path, name: str) -> dict[str, Any]:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return {"path": name, "bytes": target.stat().st_size, "sha256": sha256_file(target)}


@dataclass
class Verdict:
    """The verifier's answer: ``problems`` is empty when the package is intact."""

    folder: Path
    digest: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return not self.problems


def verify(folder: Path, *, key: bytes | None = None, expect_digest: str | None = None) -> Verdict:
    """Check a package: manifest seal, every listed file's size and hash, no file added or missing."""
    verdict = Verdict(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        verdict.problems.append(f"{MANIFEST} is missing")
        return verdict
    except (OSError, ValueError) as err:
        verdict.problems.append(f"{MANIFEST} is not readable JSON: {err}")
        return verdict
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        verdict.problems.append(f"{MANIFEST} is not a {FORMAT} manifest")
        return verdict
    verdict.manifest = manifest
    _check_seal(manifest, key, expect_digest, verdict)
    listed = _check_files(folder, manifest.get("files"), verdict)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    for extra in sorted(present - listed):
        verdict.problems.append(f"{extra} is not in the manifest (added after export)")
    clip = next((f for f in manifest.get("files", []) if isinstance(f, dict) and f.get("path") == "clip.mp4"), None)
    recorded = manifest.get("clip", {}).get("recorded_sha256") if isinstance(manifest.get("clip"), dict) else None
    if clip is not None and recorded != clip.get("sha256"):
        verdict.problems.append("clip.mp4 as exported differs from the clip as recorded")
    return verdict


def _check_seal(manifest: dict[str, Any], key: bytes | None, expect: str | None, verdict: Verdict) -> None:
    stored = manifest.get("seal")
    if not isinstance(stored, dict) or "sha256" not in stored:
        verdict.problems.append(f"{MANIFEST} has no seal")
        return
    computed = seal(manifest, key)
    verdict.digest = computed["sha256"]
    if not hmac.compare_digest(str(stored["sha256"]), computed["sha256"]):
        verdict.problems.append(f"{MANIFEST} has been modified: its content does not match its seal")
    if expect is not None and not hmac.compare_digest(expect.lower(), computed["sha256"]):
        verdict.problems.append(f"{MANIFEST} is not the one exported: digest differs from the one expected")
    if key is not None:
        if "hmac_sha256" not in stored:
            verdict.problems.append(f"{MANIFEST} was not sealed with an evidence key")
        elif not hmac.compare_digest(str(stored["hmac_sha256"]), computed.get("hmac_sha256", "")):
            verdict.problems.append(f"{MANIFEST} seal HMAC does not match the evidence key")
    elif "hmac_sha256" in stored:
        verdict.notes.append("the seal's HMAC was not checked (no evidence key given)")


def _check_files(folder: Path, files: object, verdict: Verdict) -> set[str]:
    listed: set[str] = set()
    if not isinstance(files, list) or not files:
        verdict.problems.append(f"{MANIFEST} lists no files")
        return listed
    root = folder.resolve()
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            verdict.problems.append(f"{MANIFEST} has a malformed file entry: {entry!r}")
            continue
        name = entry["path"]
        listed.add(name)
        path = (folder / name).resolve()
        if root not in path.parents:
            verdict.problems.append(f"{name} points outside the package")
        elif not path.is_file():
            verdict.problems.append(f"{name} is missing")
        elif path.stat().st_size != entry.get("bytes"):
            verdict.problems.append(
                f"{name} has been modified: {path.stat().st_size} B, manifest says {entry.get('bytes')} B"
            )
        elif not hmac.compare_digest(sha256_file(path), str(entry.get("sha256"))):
            verdict.problems.append(f"{name} has been modified: SHA-256 differs from the manifest")
    return listed


def read_key(path: Path | None) -> bytes | None:
    """The evidence key from a file (its bytes, surrounding whitespace removed), or from CITYEDGE_EVIDENCE_KEY."""
    if path is not None:
        try:
            return path.read_bytes().strip()
        except OSError as err:
            raise EvidenceError(f"cannot read the evidence key file {path}: {err.strerror}") from err
    value = os.environ.get("CITYEDGE_EVIDENCE_KEY")
    return value.encode() if value else None
