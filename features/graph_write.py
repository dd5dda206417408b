"""Writes the registry's ``on_graph`` metrics from the feature table onto ``(:User)`` nodes, in batches.

Only users already in the graph (created by the graph load) get properties; the others are
counted and reported, never an error. Values are Neo4j-storable: integers, floats, strings;
NaN and infinities never leave :func:`user_columns` (they would be a bug upstream and become
nulls), and a null removes the property, so a metric that became undefined since the last
run does not linger on the node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.registry import KEY, graph_metrics
from shopgraph.errors import ShopgraphError

if TYPE_CHECKING:  # the adapter only needs a QueryRunner-like object; features never imports graph
    from graph.connection import QueryRunner

SET_QUERY = "features/set_user_features"
DEFAULT_BATCH_SIZE = 5_000


@dataclass(frozen=True)
class GraphWrite:
    """Outcome of writing the features to the graph."""

    rows: int  # users in the feature table
    matched: int  # User nodes that received the properties
    computed_at: str

    @property
    def missing(self) -> int:
        """Users of the feature table that have no User node (not an error)."""
        return self.rows - self.matched


def _storable_column(column: pa.Array) -> list[Any]:
    """A column as Python values; NaN and ±infinity of a float column become None, vectorised."""
    if pa.types.is_floating(column.type) and len(column):
        column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))
    return column.to_pylist()


def user_columns(path: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[dict[str, list[Any]]]:
    """``{"user_ids": [...], <metric>: [...], ...}`` per batch of the feature table: aligned column lists,
    streamed, the parameters of ``SET_QUERY``."""
    if not path.is_file():
        raise ShopgraphError(f"no feature table at {path}: run `shopgraph features` first")
    names = [m.name for m in graph_metrics()]
    parquet = pq.ParquetFile(path)
    absent = [c for c in [KEY, *names] if c not in parquet.schema_arrow.names]
    if absent:
        raise ShopgraphError(
            f"{path} lacks column(s) {', '.join(absent)}: it is from an older version, rerun `shopgraph features`"
        )
    for batch in parquet.iter_batches(batch_size=batch_size, columns=[KEY, *names]):
        yield {"user_ids": batch.column(KEY).to_pylist()} | {n: _storable_column(batch.column(n)) for n in names}


def write_user_features(
    db: QueryRunner,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
    computed_at: str | None = None,
    writers: int = 1,
) -> GraphWrite:
    """Set the ``on_graph`` metrics of every row of ``path`` on its ``(:User {user_id})``.

    One round trip per batch: each batch returns how many users it matched, so no count
    afterwards; the users' node ids are read first, so that a batch finds them without the index.
    ``writers`` batches are written at once (each batch holds other users).
    ``on_batch(n)`` is called after each committed batch of ``n`` rows (progress bars).
    """
    stamp = computed_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    total = matched = 0
    nodes = db.user_nodes()  # each batch finds its users by node id (graph/node_ids.py)
    batches = (batch | {"node_ids": nodes.ids(batch["user_ids"])} for batch in user_columns(path, batch_size))
    for params, records in db.write_columns(SET_QUERY, batches, writers=writers, computed_at=stamp):
        size = len(params["user_ids"])
        total += size
        matched += records[0]["matched"] if records else 0
        if on_batch is not None:
            on_batch(size)
    return GraphWrite(rows=total, matched=matched, computed_at=stamp)


def count_rows(path: Path) -> int:
    """Rows of the feature table (from the Parquet footer; nothing is read)."""
    return pq.ParquetFile(path).metadata.num_rows
