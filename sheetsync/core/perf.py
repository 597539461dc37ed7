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


def release_free_memory() -> None:
    """Give the C heap's free pages back to the OS (glibc's `malloc_trim`), where there is one.

    A cycle over a 100k-row tab frees a read of well over 100 MB (the response, its parse).
    glibc keeps freed heap pages, and after the first large free it serves later large blocks
    from the heap too (its mmap threshold rises), so a daemon that sleeps between cycles would
    go on holding its busiest cycle's memory (up to about 100 MB more at 100k rows).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, musl, Windows)
        return None
