"""Evidence export and its verifier: any change to a file or to the manifest is caught; so is a forged seal."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from recorder_support import T0, feed, recorder

from edge.contract.clips import ClipInfo
from edge.video.clip_store import ClipStore, sha256_file
from edge.video.errors import EvidenceError
from edge.video.evidence import FORMAT, MANIFEST, export_clip, seal, verify
from edge.video.recorder_config import RecorderConfig
from simulators.scenes import make_scene

KEY = b"evidence-key-for-tests"
CLI = [str(Path(sys.executable).with_name("cityedge")), "evidence"]  # the installed console script


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[ClipStore, ClipInfo]:
    """One recorded clip with an event snapshot."""
    done = threading.Event()
    infos: list[ClipInfo] = []
    rec = recorder(
        tmp_path / "clips", RecorderConfig(pre_s=1.0, post_s=1.0), on_clip=lambda i: (infos.append(i), done.set())
    )
    scene = make_scene("loiter", 320, 180)
    try:
        feed(rec, scene, 25.0, 27.0, fps=10.0)
        rec.trigger(T0 + 26.5, {"type": "loitering", "alert_id": "loitering.east_span.2"}, b"\xff\xd8\xff\xe0 snapshot")
        feed(rec, scene, 27.0, 28.0, fps=10.0)
        assert done.wait(60)
    finally:
        rec.close()
    return rec.store, infos[0]


def _export(recorded: tuple[ClipStore, ClipInfo], tmp_path: Path, key: bytes | None = None) -> tuple[Path, str]:
    store, info = recorded
    return export_clip(store, info.clip_id, tmp_path / "out", "j.smith", reason="incident 42", key=key)


def _rewrite_manifest(folder: Path, change: dict[str, object], key: bytes | None = None, reseal: bool = False) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest.update(change)
    if reseal:
        manifest["seal"] = seal(manifest, key)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def test_an_export_holds_the_clip_snapshots_and_a_manifest_that_verifies(
    recorded: tuple[ClipStore, ClipInfo], tmp_path: Path
) -> None:
    store, info = recorded
    folder, digest = _export(recorded, tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["format"] == FORMAT and manifest["camera"] == "cam1" and manifest["clip_id"] == info.clip_id
    assert manifest["clip"]["start"] == info.start and manifest["clip"]["end"] == info.end
    assert manifest["events"][0]["alert_id"] == "loitering.east_span.2"
    assert (manifest["exported_by"], manifest["reason"]) == ("j.smith", "incident 42")
    assert sorted(f["path"] for f in manifest["files"]) == [
        "clip.mp4",
        "snapshots/event-1.jpg",
        "snapshots/frame-1.jpg",
    ]
    for entry in manifest["files"]:
        assert sha256_file(folder / entry["path"]) == entry["sha256"]
    assert sha256_file(folder / "clip.mp4") == info.sha256 == sha256_file(store.mp4(info))
    verdict = verify(folder, expect_digest=digest)
    assert verdict.ok and verdict.problems == [] and verdict.digest == digest


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda f: _flip_byte(f / "clip.mp4"), "clip.mp4 has been modified: SHA-256 differs from the manifest"),
        (
            lambda f: (f / "snapshots" / "event-1.jpg").write_bytes(b"\xff\xd8"),
            "snapshots/event-1.jpg has been modified",
        ),
        (lambda f: (f / "snapshots" / "frame-1.jpg").unlink(), "snapshots/frame-1.jpg is missing"),
        (lambda f: (f / "notes.txt").write_text("x"), "notes.txt is not in the manifest"),
        (lambda f: _rewrite_manifest(f, {"exported_by": "someone.else"}), "manifest.json has been modified"),
        (lambda f: _rewrite_manifest(f, {"files": [{"path": "../x", "bytes": 1, "sha256": "0"}]}), "manifest.json"),
        (lambda f: (f / MANIFEST).write_text("{not json"), "manifest.json is not readable JSON"),
        (lambda f: (f / MANIFEST).unlink(), "manifest.json is missing"),
    ],
)
def test_the_verifier_catches_every_change(
    recorded: tuple[ClipStore, ClipInfo], tmp_path: Path, tamper, problem: str
) -> None:  # type: ignore[no-untyped-def]
    folder, _ = _export(recorded, tmp_path)
    tamper(folder)
    verdict = verify(folder)
    assert not verdict.ok
    assert any(problem in p for p in verdict.problems), verdict.problems


def test_a_resealed_forgery_is_caught_by_the_key_and_by_the_audited_digest(
    recorded: tuple[ClipStore, ClipInfo], tmp_path: Path
) -> None:
    folder, digest = _export(recorded, tmp_path, key=KEY)
    assert verify(folder, key=KEY, expect_digest=digest).ok
    original_hmac = json.loads((folder / MANIFEST).read_text())["seal"]["hmac_sha256"]
    _rewrite_manifest(folder, {"exported_by": "someone.else"}, reseal=True)  # a forger without the key
    assert verify(folder).ok  # self-consistent on its own ...
    assert "was not sealed with an evidence key" in " ".join(verify(folder, key=KEY).problems)
    assert "digest differs from the one expected" in " ".join(verify(folder, expect_digest=digest).problems)
    forged = json.loads((folder / MANIFEST).read_text())
    forged["seal"]["hmac_sha256"] = original_hmac  # ... keeping the old HMAC does not help either
    (folder / MANIFEST).write_text(json.dumps(forged))
    assert "seal HMAC does not match the evidence key" in " ".join(verify(folder, key=KEY).problems)


def test_export_refuses_a_clip_changed_since_recording_and_says_who(
    recorded: tuple[ClipStore, ClipInfo], tmp_path: Path
) -> None:
    store, info = recorded
    with pytest.raises(EvidenceError, match="must name who exported it"):
        export_clip(store, info.clip_id, tmp_path / "out", " ")
    _export(recorded, tmp_path)
    with pytest.raises(EvidenceError, match="already exists"):
        _export(recorded, tmp_path)
    _flip_byte(store.mp4(info))
    with pytest.raises(EvidenceError, match="no longer matches the hash recorded"):
        export_clip(store, info.clip_id, tmp_path / "other", "j.smith")
    with pytest.raises(EvidenceError, match="no clip"):
        export_clip(store, "01a20707-7903-772b-a318-412b1593c812", tmp_path / "other", "j.smith")


def test_cityedge_evidence_verify_command(recorded: tuple[ClipStore, ClipInfo], tmp_path: Path) -> None:
    store, info = recorded
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY + b"\n")
    exported = subprocess.run(
        [
            *CLI,
            "export",
            info.clip_id,
            "--clips",
            str(store.root),
            "--to",
            str(tmp_path / "out"),
            "--by",
            "j.smith",
            "--key-file",
            str(key_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    folder = Path(exported.stdout.split("\n")[0].removeprefix("exported "))
    digest = exported.stdout.split("manifest digest ")[1].strip()
    ok = subprocess.run(
        [*CLI, "verify", str(folder), "--key-file", str(key_file), "--expect-digest", digest],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 files intact; camera cam1"), ok.stdout + ok.stderr
    _flip_byte(folder / "clip.mp4")
    bad = subprocess.run([*CLI, "verify", str(folder)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "FAILED: clip.mp4 has been modified" in bad.stdout
    assert "note: the seal's HMAC was not checked" in bad.stdout
    missing = subprocess.run([*CLI, "verify", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
