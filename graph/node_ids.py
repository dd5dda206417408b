"""The internal node ids of the customers (User) and products by their key, read once before a large write.

A batch that finds each node by its id (``MATCH (u) WHERE id(u) = …``, a direct record read) instead
of seeking the key's index costs the server 22–35 % less CPU a relationship row (``bench/load_statements.py
--node-ids``; docs/BENCHMARKS.md, "Load"; the per-customer write-backs gain nothing measurable, "Segment
write-back"). Reading every id first costs 0.8–1.2 s a million nodes (``bench/segment_writeback.py``), in pages
along the key's index. An id is trusted only with the key checked on the node it names: a customer deleted
meanwhile (and the id reused for another node) is skipped, never written over. Kept as two
sorted int64 arrays: 16 bytes a node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from graph.connection import QueryRunner

PAGE = 500_000  # nodes per read: one record of two lists of 500,000 integers
MISSING = -1  # the id of a key the graph does not hold: `id(u) = -1` finds nothing
SMALLEST = -(2**63)  # keys are signed 64-bit integers (user pseudonyms: events/pseudonym.py)
LARGEST = 2**63 - 1
KINDS = ("user", "product")  # cypher/nodes/<kind>_node_ids.cypher


def key_ranges(readers: int) -> list[tuple[int, int]]:
    """The signed 64-bit keys cut into ``readers`` (≥ 1) ranges of equal width, as inclusive ``(from, upto)``."""
    shares = max(1, readers)
    starts = [SMALLEST + i * (2**64 // shares) for i in range(shares)]
    return list(zip(starts, [start - 1 for start in starts[1:]] + [LARGEST], strict=True))


@dataclass(frozen=True)
class NodeIds:
    """Sorted keys (user_id or product_id) and their nodes' ids, aligned."""

    keys: np.ndarray
    node_ids: np.ndarray

    @classmethod
    def read(cls, db: QueryRunner, kind: str = "user", page: int = PAGE, readers: int = 1) -> NodeIds:
        """Every node's id of ``kind`` ("user", "product"), page by page in key order (each page starts past
        the last one's end), on ``readers`` sessions at once (QueryRunner.read_pages). One by default: at 14.1 M
        customers two read them in no less time (6.3-8.1 s against 5.8-6.7 s, docs/BENCHMARKS.md, "Segment
        write-back"); the likely segments' read, which reads each customer's properties too, gains from two."""
        columns = {"keys": np.int64, "node_ids": np.int64}
        found = db.read_pages(f"nodes/{kind}_node_ids", columns, page, readers)
        return cls(found["keys"], found["node_ids"])

    def __len__(self) -> int:
        return len(self.keys)

    def ids(self, keys: Sequence[int] | np.ndarray) -> list[int]:
        """The node id of each of ``keys`` (``MISSING`` for one the graph did not hold), as a list to send."""
        wanted = np.asarray(keys, dtype=np.int64)
        if not len(self.keys) or not len(wanted):
            return [MISSING] * len(wanted)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[at] == wanted, self.node_ids[at], MISSING).tolist()
