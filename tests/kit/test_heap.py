"""``kit.heap``: free C-heap pages go back to the system."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from seagreen.kit import heap


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not heap.can_release() or not Path("/proc/self/statm").exists(), reason="glibc on Linux")
def test_freed_heap_pages_are_given_back():
    # 64 KiB blocks come from malloc's arenas, not mmap; the last one kept pins the heap's top, so
    # freeing the others leaves ~190 MB of free pages inside the heap that only a trim returns
    blocks = [bytearray(b"\x01" * (64 << 10)) for _ in range(3_000)]
    keep = blocks.pop()
    del blocks
    before = _resident_bytes()
    heap.release_free_heap()
    after = _resident_bytes()
    assert before - after > 100 << 20, (before, after)
    assert keep[0] == 1
