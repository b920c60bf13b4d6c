"""Pause CPython's cyclic garbage collector around bulk work that creates no reference cycles.

Posting thousands of transfers allocates hundreds of thousands of short-lived tuples and strings.
Every 700 allocations CPython's generational collector runs, and every few of those runs it
rescans every tracked object the process holds (the caller's whole batch of requests, their memo
dictionaries…): on a batched ledger posting that was a fifth of the time. Reference counting
still frees everything at once; only the cycle search waits until the block ends, and is then
back exactly as it was.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0  # blocks inside a pause now, in any thread
_restore = False  # whether the collector was on when the first of them began


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Run the block without cyclic garbage collection (restored afterwards if it was on). Also a
    decorator: ``@cycle_collection_paused()`` runs each call of a function so.

    The collector is one switch for the whole process and the web server runs requests in
    threads, so the pauses are counted: the first block to begin switches it off, the last to
    end switches it back on. (Each block reading the switch and restoring what it read would
    leave it off for good when one began between another's check and its switching off.)"""
    global _pauses, _restore
    with _lock:
        if _pauses == 0:
            _restore = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _restore:
                gc.enable()
