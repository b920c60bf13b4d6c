"""``kit.heap``: free C-heap pages go back to the system."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


_MAPPING_CHECK = """
import ctypes, ctypes.util, json
from seagreen.kit import heap

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
if not hasattr(libc, "mallinfo2"):  # glibc before 2.33
    print(json.dumps({"skip": True}))
    raise SystemExit
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]

def mapped(size):
    # how many more bytes malloc holds in mappings of their own while a block of ``size`` lives
    before = libc.mallinfo2().hblkhd
    block = libc.malloc(size)
    grown = libc.mallinfo2().hblkhd - before
    libc.free(block)
    return grown

size = 16 << 20  # past the block's threshold, under the one glibc settles at (32 MiB)
# a freed block of 24 MiB lifts glibc's dynamic threshold past ``size``, as an ingest's first large
# tables do: from then on such blocks come from the arenas, and stay in them once freed
libc.free(libc.malloc(24 << 20))
result = {"before": mapped(size)}
heap.release_free_heap()  # no free room left at the heap's top for ``size`` to be carved from
with heap.large_blocks_mapped() as ok:
    result |= {"ok": ok, "inside": mapped(size), "small_inside": mapped(heap.LARGE_BLOCK // 4)}
result["after"] = mapped(40 << 20), mapped(size)
print(json.dumps(result))
"""


@pytest.mark.skipif(not heap.can_release(), reason="glibc")
def test_large_blocks_get_mappings_of_their_own_in_the_block_only():
    # a fresh interpreter: in this one, earlier tests have left free room in the arenas that a
    # large block would be carved from whatever the threshold
    found = subprocess.run(
        [sys.executable, "-c", _MAPPING_CHECK], check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(found)
    if result.get("skip"):
        pytest.skip("glibc 2.33 or later (mallinfo2)")
    size = 16 << 20
    assert result["before"] == 0  # from the arena: the dynamic threshold had climbed past it
    assert result["ok"] is True
    assert result["inside"] >= size
    assert result["small_inside"] == 0  # under the threshold: the arenas, as before
    past_max, under_max = result["after"]
    assert past_max >= 40 << 20 and under_max == 0  # after it: where the dynamic one settles
