"""shopgraph/memory.py: freed memory given back between two stages of a run."""

from __future__ import annotations

import platform

from shopgraph.memory import release_freed_memory


def test_release_freed_memory_trims_on_glibc() -> None:
    assert release_freed_memory() is (platform.libc_ver()[0] == "glibc")
