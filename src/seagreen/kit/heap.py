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

A trim only returns what is free at that moment. Over a long ingest the arenas grow around the
blocks that live for a while (a flush's pending events among the groups' transient tables), and
each group's tables land in pages freed since the last trim: 50M events peaked 150-250 MB above
what was in use. glibc gives a block a mapping of its own (unmapped when freed) only above a
threshold that climbs to 32 MiB once a large block is freed; ``large_blocks_mapped`` holds it at
2 MiB during an ingest (docs/decisions/0005, phase 20).
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
def _glibc_function(name: str, *argtypes: Any) -> Any | None:
    """A function of glibc's ``malloc`` (``malloc_trim``, ``mallopt``), or None elsewhere."""
    library = ctypes.util.find_library("c")
    if not library:
        return None
    try:
        function = getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return function


def _trim() -> Any | None:
    return _glibc_function("malloc_trim", ctypes.c_size_t)


M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD_MAX = 32 << 20
"""Where glibc's dynamic threshold ends up on 64-bit systems after the first large block is freed
(``DEFAULT_MMAP_THRESHOLD_MAX``); restored after ``large_blocks_mapped``."""
LARGE_BLOCK = 2 << 20
"""Blocks of this size or more get a mapping of their own in ``large_blocks_mapped``: a group's
columns (524,288 rows: 4 MiB of each 64-bit column, more of text) and a flush's arrays. At 50M
events: 921 and 951 MiB peak, against 941 and 969 with 4 MiB and 1,036-1,117 without; a 5M-event
ingest took 9.06 s against 8.99 without (three runs each, alternating)."""


@contextmanager
def large_blocks_mapped(threshold: int = LARGE_BLOCK) -> Iterator[bool]:
    """Inside the block, ``malloc`` serves every request of ``threshold`` bytes or more with a
    mapping of its own, returned to the system as soon as it is freed; yields whether it could
    (glibc only). Process-wide. Setting the threshold turns off glibc's dynamic one for good, so
    afterwards it is left where the dynamic one settles (``MMAP_THRESHOLD_MAX``)."""
    mallopt = _glibc_function("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is None or not mallopt(M_MMAP_THRESHOLD, int(threshold)):
        yield False
        return
    try:
        yield True
    finally:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)


def can_release() -> bool:
    """Whether this process's C library can give free heap pages back (glibc)."""
    return _trim() is not None


def release_free_heap() -> bool:
    """Return the C heap's free pages to the system; whether any were returned."""
    trim = _trim()
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
