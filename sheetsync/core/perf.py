"""Performance helpers for bulk work over a whole tracker."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around work that allocates much and makes no cycles.

    Binding and checking a 100k-row tracker builds hundreds of thousands of tuples and sets;
    without this, CPython runs full collections over the whole heap (the tracker included)
    several times and the work takes about 40% longer. Reference counting still frees
    everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `gc_paused`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return wrapper


M_MMAP_THRESHOLD = -3  # glibc's malloc.h
DEFAULT_MMAP_THRESHOLD = 128 * 1024  # bytes: glibc's own default, kept from moving


@lru_cache(maxsize=1)
def keep_large_blocks_apart() -> bool:
    """Pin glibc's mmap threshold at its default (128 KiB), once per process, where there is
    glibc (False where there is none, or it refused).

    glibc raises the threshold each time a block above it is freed, up to 32 MiB (mallopt(3),
    M_MMAP_THRESHOLD). After a cycle frees its first response body, later bodies and the big
    lists a 100k-row cycle builds (16 to 45 MB each) come from the heap instead of their own
    mappings, and the heap they leave behind is interleaved with Python's small objects: a
    100k-row cycle then peaks about 80 MB higher. Setting the threshold explicitly turns the
    adjustment off (mallopt(3)), so each large block is mapped apart and unmapped when freed.
    """
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD))


def release_free_memory() -> None:
    """Give the C heap's free pages back to the OS (glibc's `malloc_trim`), where there is one.

    A cycle over a 100k-row tab frees a read of well over 100 MB (the response, its parse).
    glibc keeps freed heap pages, so a daemon that sleeps between cycles would go on holding
    its busiest cycle's memory (up to about 100 MB more at 100k rows).
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """This process's C library when it is glibc (it has malloc_trim and mallopt)."""
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim, libc.mallopt  # noqa: B018 (not glibc: AttributeError)
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl, Windows)
        return None
    return libc
