"""``kit.heap``: free C-heap pages go back to the system."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from seagreen.kit import heap


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _given_back(blocks: list[Any]) -> int:
    """Let go of all ``blocks`` but the last (the caller keeps it: it pins the heap's top, so the
    others leave free pages inside the heap that only a trim returns), trim, and return how many
    bytes of resident memory went back."""
    del blocks[:-1]
    before = _resident_bytes()
    heap.release_free_heap()
    return before - _resident_bytes()


@pytest.mark.skipif(not heap.can_release() or not Path("/proc/self/statm").exists(), reason="glibc on Linux")
def test_freed_heap_pages_are_given_back():
    # 64 KiB blocks come from malloc's arenas, not mmap; the last one kept pins the heap's top, so
    # freeing the others leaves ~190 MB of free pages inside the heap that only a trim returns
    blocks = [bytearray(b"\x01" * (64 << 10)) for _ in range(3_000)]
    keep = blocks[-1]
    assert _given_back(blocks) > 100 << 20
    assert keep[0] == 1


@pytest.mark.skipif(not heap.can_release(), reason="glibc")
def test_arrow_allocates_from_the_c_heap_in_the_block_and_from_its_pool_after():
    pool = pa.default_memory_pool()
    with heap.arrow_on_the_c_heap():
        assert pa.default_memory_pool().backend_name == "system"
        before = pa.system_memory_pool().bytes_allocated()
        buffer = pa.allocate_buffer(1 << 20)
        assert pa.system_memory_pool().bytes_allocated() - before >= 1 << 20
    assert pa.default_memory_pool().backend_name == pool.backend_name
    assert buffer.size == 1 << 20  # made in the block, usable after it


@pytest.mark.skipif(not heap.can_release() or not Path("/proc/self/statm").exists(), reason="glibc on Linux")
def test_freed_arrow_buffers_made_in_the_block_are_given_back():
    with heap.arrow_on_the_c_heap():
        buffers = []
        for _ in range(3_000):
            buffer = pa.allocate_buffer(64 << 10)
            memoryview(buffer).cast("B")[:] = b"\x01" * (64 << 10)
            buffers.append(buffer)
        keep = buffers[-1]
        given_back = _given_back(buffers)
    assert given_back > 100 << 20
    assert keep.to_pybytes()[0] == 1
