"""How much memory the local Neo4j gets: from the machine and the size of its store, unless set.

A fixed 1 GiB heap and 512 MiB page cache serve a test graph, not a REES46 month: a graph of
tens of GiB read through 512 MiB of page cache goes to disk on every query. ``auto`` (the
default) gives Neo4j 40 % of the machine (at most the machine less 6 GiB): with shopgraph's own
steps held to about a quarter, both stay within two thirds of it (16 GiB of 24, issue 20's goal)
and the system keeps the rest. The page cache is sized to hold the store with room to grow, the
heap gets the rest (at least 30 %, the write-back's batches need it) within Neo4j's advice
(1–31 GiB, here at most 8 GiB). A store larger than the cache is served from disk where cold.
``SHOPGRAPH_NEO4J_HEAP`` and ``SHOPGRAPH_NEO4J_PAGECACHE`` override either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shopgraph.errors import ShopgraphError
from shopgraph.files import tree_size

AUTO = "auto"
GIB = 1 << 30
MIB = 1 << 20
LEFT_FOR_THE_REST = 6 * GIB
NEO4J_SHARE = 0.4  # of the machine
MIN_HEAP, MAX_HEAP = 1 * GIB, 8 * GIB
MIN_PAGECACHE = 512 * MIB
STORE_HEADROOM = 1.2  # the page cache holds the store plus a fifth to grow into
HEAP_FLOOR_SHARE = 0.3  # a store too big to cache whole still leaves the heap 30 % of the budget


@dataclass(frozen=True)
class MemoryPlan:
    """The heap and page cache to start with (Neo4j's size syntax, e.g. ``4g``, ``640m``) and why."""

    heap: str
    pagecache: str
    reason: str


def plan_memory(heap: str, pagecache: str, machine_bytes: int, store_bytes: int) -> MemoryPlan:
    """The plan for settings ``heap``/``pagecache`` (a size or ``auto``) on this machine and store."""
    budget = max(MIN_HEAP + MIN_PAGECACHE, min(int(machine_bytes * NEO4J_SHARE), machine_bytes - LEFT_FOR_THE_REST))
    wanted_cache = max(MIN_PAGECACHE, int(store_bytes * STORE_HEADROOM))
    heap_bytes = _bytes(heap) if heap != AUTO else None
    cache_bytes = _bytes(pagecache) if pagecache != AUTO else None
    if cache_bytes is None:
        room = budget - (heap_bytes or max(MIN_HEAP, min(MAX_HEAP, int(budget * HEAP_FLOOR_SHARE))))
        cache_bytes = max(MIN_PAGECACHE, min(wanted_cache, room))
    if heap_bytes is None:
        heap_bytes = max(MIN_HEAP, min(MAX_HEAP, budget - cache_bytes))
    chosen = ", ".join(
        f"{name} {'auto' if value == AUTO else 'as set'}" for name, value in (("heap", heap), ("page cache", pagecache))
    )
    reason = f"{chosen}; {_size(machine_bytes)} of memory, a {_size(store_bytes)} store"
    return MemoryPlan(_neo4j_size(heap_bytes), _neo4j_size(cache_bytes), reason)


def machine_memory() -> int:
    """The machine's physical memory in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def store_size(data_dir: Path) -> int:
    """Bytes of the files under the server's data directory (its databases and transaction logs)."""
    return tree_size(data_dir)


def _bytes(size: str) -> int:
    """``512m``, ``4g``, ``1.5g``, ``800k`` or a byte count, as bytes; a clear error otherwise."""
    text = size.strip().lower()
    units = {"k": 1 << 10, "m": MIB, "g": GIB, "t": 1 << 40}
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise ShopgraphError(
            f"{size!r} is not a memory size: use e.g. 4g or 512m (SHOPGRAPH_NEO4J_HEAP / SHOPGRAPH_NEO4J_PAGECACHE), "
            "or auto"
        ) from None


def _neo4j_size(n: int) -> str:
    """Bytes in Neo4j's syntax, rounded down to whole MiB (``4096m``) or GiB (``4g``)."""
    return f"{n // GIB}g" if n % GIB == 0 else f"{n // MIB}m"


def _size(n: int) -> str:
    return f"{n / GIB:.1f} GiB"
