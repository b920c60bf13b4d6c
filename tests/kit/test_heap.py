"""``kit.heap``: free C-heap pages go back to the system."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
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
        keep = buffers.pop()
        del buffers
        before = _resident_bytes()
        heap.release_free_heap()
        after = _resident_bytes()
    assert before - after > 100 << 20, (before, after)
    assert keep.to_pybytes()[0] == 1
