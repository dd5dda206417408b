"""How many cores this process may run on: one answer for every step that decides how many threads or processes
to start (the skip-gram's threads, the resolution table's processes, a large prediction's threads)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may be scheduled on (its CPU affinity, which a container or ``taskset`` narrows;
    the machine's count where the platform has no affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows: no affinity
        return max(1, os.cpu_count() or 1)
