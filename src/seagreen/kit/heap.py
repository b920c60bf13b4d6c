"""Give the C heap's free pages back to the system during long bulk work.

glibc's ``malloc`` keeps freed memory in its arenas for reuse. A bulk ingest's libraries (DuckDB's
query results, the SQLite and Arrow glue, Python's large objects) allocate and free hundreds of
megabytes a group in blocks of a few hundred KiB; the dynamic ``mmap`` threshold then serves them
from the arenas, and their freed pages stay resident: on 5M events about 170 MB of free heap,
counted in the ingest's peak memory. ``malloc_trim(0)`` returns the free pages of every arena.
Elsewhere than glibc (macOS, musl) there is nothing to call and this does nothing.

Arrow allocates from its own pool (mimalloc in pyarrow's wheels), which kept the pages of freed
buffers resident: during a bulk ingest ``arrow_on_the_c_heap`` sends Arrow's allocations to
``malloc`` instead, where the trim reaches them (20M events: peak 1.22-1.30 GB -> 1.07 GB, and
no slower; docs/decisions/0005, phase 7).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pyarrow as pa


@cache
def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        library = ctypes.CDLL(name)
        trim = library.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def can_release() -> bool:
    """Whether this process's C library can give free heap pages back (glibc)."""
    return _glibc() is not None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system; whether any were returned."""
    trim = _glibc()
    return bool(trim(0)) if trim is not None else False


@contextmanager
def arrow_on_the_c_heap() -> Iterator[None]:
    """Arrow's new buffers come from ``malloc`` during the block (where glibc is), then from the
    pool that was the default before. A buffer keeps the pool it came from, so buffers made in
    the block may outlive it. Process-wide: other threads' Arrow allocations meanwhile too."""
    if not can_release():
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
