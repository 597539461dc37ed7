"""core.perf: what a cycle frees goes back to the OS before the daemon sleeps."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sheetsync.core.perf import _malloc_trim, release_free_memory

# A cycle's pattern: a big response freed (glibc then raises its mmap threshold), then many
# large blocks from the heap, all freed but the last, which pins the heap's top.
CYCLE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sheetsync.core.perf import release_free_memory

    def rss_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    response = b"x" * (16 << 20)
    del response
    blocks = [b"x" * (1 << 20) for _ in range(200)]
    pinned = blocks.pop()
    del blocks
    held = rss_mb()
    release_free_memory()
    print(held, rss_mb())
""")


@pytest.mark.skipif(_malloc_trim() is None or not sys.platform.startswith("linux"),
                    reason="glibc's malloc_trim is Linux only")
def test_a_cycles_freed_heap_goes_back_to_the_os() -> None:
    out = subprocess.run([sys.executable, "-c", CYCLE], capture_output=True, text=True,
                         check=True).stdout
    held, after = map(float, out.split())
    assert held - after > 150  # MB: the 199 freed blocks, no longer resident


def test_without_glibc_releasing_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    _malloc_trim.cache_clear()
    monkeypatch.setattr("ctypes.CDLL", lambda name: (_ for _ in ()).throw(OSError("no libc")))
    try:
        release_free_memory()  # nothing to call, nothing raised
        assert _malloc_trim() is None
    finally:
        _malloc_trim.cache_clear()
