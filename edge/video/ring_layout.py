"""Byte layout of a frame ring segment, shared by the producer and every consumer.

A segment is one file in ``/dev/shm``::

    [ring header 64 B][slot header 64 B x slots][pad to 4096][slot 0 data][slot 1 data]...

Every slot's data starts on a 4096-byte boundary. The slot header's ``lock`` is a seqlock: the producer makes it
odd before touching the slot and even again when the slot holds a whole frame, so a reader that sees the same
even value before and after it read knows nothing changed underneath. The ring header's ``latest`` packs
``frame_seq << 6 | slot`` in one aligned 64-bit word so a reader finds the newest frame with a single load.

The ordering argument relies on x86-64's store order (TSO) and on each header store being one aligned 64-bit
write; a port to a weakly ordered CPU would need explicit fences.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.video.errors import RingLayoutError

MAGIC = 0x52564543  # "CEVR" little-endian
VERSION = 1
MAX_SLOTS = 64
SLOT_BITS = 6
PAGE = 4096
HEADER_BYTES = PAGE

RING_HEADER = np.dtype(
    [
        ("magic", "<u4"),
        ("version", "<u4"),
        ("slots", "<u4"),
        ("pad", "<u4"),
        ("slot_capacity", "<u8"),
        ("generation", "<u8"),
        ("pid", "<u8"),
        ("latest", "<u8"),
        ("copies", "<u8"),
        ("bytes_copied", "<u8"),
    ]
)
SLOT_HEADER = np.dtype(
    [
        ("lock", "<u8"),
        ("frame_seq", "<u8"),
        ("ts", "<f8"),
        ("written_ns", "<u8"),
        ("height", "<u4"),
        ("width", "<u4"),
        ("channels", "<u4"),
        ("dtype", "S4"),
        ("nbytes", "<u8"),
        ("reserved", "<u8"),
    ]
)
assert RING_HEADER.itemsize == 64 and SLOT_HEADER.itemsize == 64

ALLOWED_DTYPES = {np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)}


def round_up(n: int, to: int = PAGE) -> int:
    """``n`` rounded up to a multiple of ``to``."""
    return (n + to - 1) // to * to


def segment_bytes(slots: int, slot_capacity: int) -> int:
    """Total size of a segment with ``slots`` slots of ``slot_capacity`` bytes each."""
    return HEADER_BYTES + slots * round_up(slot_capacity)


def slot_offset(slot: int, slot_capacity: int) -> int:
    """Byte offset of ``slot``'s data in the segment."""
    return HEADER_BYTES + slot * round_up(slot_capacity)


def pack_latest(frame_seq: int, slot: int) -> int:
    """One 64-bit word naming the newest complete frame and its slot."""
    return (frame_seq << SLOT_BITS) | slot


def unpack_latest(word: int) -> tuple[int, int]:
    """``(frame_seq, slot)`` from :func:`pack_latest`'s word."""
    return word >> SLOT_BITS, word & (MAX_SLOTS - 1)


@dataclass
class Mapping:
    """One mapped segment with numpy views on its headers."""

    path: Path
    mm: mmap.mmap
    ring: np.ndarray[Any, np.dtype[np.void]]
    slots: np.ndarray[Any, np.dtype[np.void]]
    base: np.ndarray[Any, np.dtype[np.uint8]]

    def close(self) -> bool:
        """Unmap. Returns False when a consumer still holds a view (the mapping then dies with the last view)."""
        del self.ring, self.slots, self.base
        try:
            self.mm.close()
        except BufferError:
            return False
        return True


def _views(mm: mmap.mmap, slots: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    base = np.frombuffer(mm, dtype=np.uint8)
    ring = np.frombuffer(mm, dtype=RING_HEADER, count=1)
    slot_headers = np.frombuffer(mm, dtype=SLOT_HEADER, count=slots, offset=RING_HEADER.itemsize)
    return ring, slot_headers, base


def create(path: Path, slots: int, slot_capacity: int, generation: int) -> Mapping:
    """Create and map a new segment file (fails if it exists), header filled in, every slot empty."""
    if not 2 <= slots <= MAX_SLOTS:
        raise RingLayoutError(f"a ring needs 2..{MAX_SLOTS} slots, not {slots}")
    size = segment_bytes(slots, slot_capacity)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, size)
        mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    ring, slot_headers, base = _views(mm, slots)
    ring["slots"] = slots
    ring["slot_capacity"] = slot_capacity
    ring["generation"] = generation
    ring["pid"] = os.getpid()
    ring["version"] = VERSION
    ring["magic"] = MAGIC  # written last: a reader that sees the magic sees a whole header
    return Mapping(path, mm, ring, slot_headers, base)


def attach(path: Path) -> Mapping:
    """Map an existing segment read-only and check its header."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size < HEADER_BYTES:
            raise RingLayoutError(f"{path.name} is {size} bytes, too small to be a frame ring")
        mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
    finally:
        os.close(fd)
    head = np.frombuffer(mm, dtype=RING_HEADER, count=1)
    magic, version, slots = int(head["magic"][0]), int(head["version"][0]), int(head["slots"][0])
    capacity = int(head["slot_capacity"][0])
    del head
    if magic != MAGIC or version != VERSION:
        mm.close()
        raise RingLayoutError(f"{path.name} is not a version-{VERSION} frame ring (magic {magic:#x}, v{version})")
    if not 2 <= slots <= MAX_SLOTS or segment_bytes(slots, capacity) > size:
        mm.close()
        raise RingLayoutError(f"{path.name} has an inconsistent header ({slots} slots of {capacity} B in {size} B)")
    ring, slot_headers, base = _views(mm, slots)
    return Mapping(path, mm, ring, slot_headers, base)
