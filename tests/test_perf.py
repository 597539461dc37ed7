"""core.perf: what a cycle frees goes back to the OS, before the daemon sleeps and as it goes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sheetsync.core.perf import _glibc, keep_large_blocks_apart, release_free_memory

#: What each script below measures with: this process's resident memory in MB.
RSS_MB = textwrap.dedent("""
    from pathlib import Path

    def rss_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
""")

# A cycle's pattern: a big response freed (glibc then raises its mmap threshold), then many
# large blocks from the heap, all freed but the last, which pins the heap's top.
CYCLE = RSS_MB + textwrap.dedent("""
    from sheetsync.core.perf import release_free_memory

    response = b"x" * (16 << 20)
    del response
    blocks = [b"x" * (1 << 20) for _ in range(200)]
    pinned = blocks.pop()
    del blocks
    held = rss_mb()
    release_free_memory()
    print(held, rss_mb())
""")


GLIBC = pytest.mark.skipif(_glibc() is None or not sys.platform.startswith("linux"),
                           reason="glibc's malloc_trim and mallopt are Linux only")

# A later cycle's pattern: the last response freed, then the next one, with small objects
# made after it (its parse), freed while they live on.
LATER = RSS_MB + textwrap.dedent("""
    import sys
    from sheetsync.core.perf import keep_large_blocks_apart

    if sys.argv[1] == "pinned":
        keep_large_blocks_apart()
    response = b"x" * (24 << 20)
    del response
    response = b"y" * (20 << 20)
    parse = [bytearray(600) for _ in range(2000)]
    before = rss_mb()
    del response
    print(before - rss_mb())
""")


@GLIBC
def test_a_cycles_freed_heap_goes_back_to_the_os() -> None:
    out = subprocess.run([sys.executable, "-c", CYCLE], capture_output=True, text=True,
                         check=True).stdout
    held, after = map(float, out.split())
    assert held - after > 150  # MB: the 199 freed blocks, no longer resident


@GLIBC
def test_a_freed_response_is_unmapped_at_once_with_the_threshold_kept() -> None:
    def freed(mode: str) -> float:
        out = subprocess.run([sys.executable, "-c", LATER, mode], capture_output=True,
                             text=True, check=True).stdout
        return float(out)

    assert freed("pinned") > 18  # MB: the 20 MB body, no longer resident
    assert freed("glibc's own") < 2  # carved from the heap, behind the parse: still held


def test_without_glibc_releasing_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    _glibc.cache_clear()
    keep_large_blocks_apart.cache_clear()
    monkeypatch.setattr("ctypes.CDLL", lambda name: (_ for _ in ()).throw(OSError("no libc")))
    try:
        release_free_memory()  # nothing to call, nothing raised
        assert _glibc() is None and keep_large_blocks_apart() is False
    finally:
        _glibc.cache_clear()
        keep_large_blocks_apart.cache_clear()
