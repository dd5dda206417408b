"""Writes the registry's ``on_graph`` metrics from the feature table onto ``(:User)`` nodes, in batches.

Only users already in the graph (created by the graph load) get properties; the others are
counted and reported, never an error. Values are Neo4j-storable: integers, floats, strings;
NaN and infinities never leave :func:`user_rows` (they would be a bug upstream and become
nulls), and a null removes the property, so a metric that became undefined since the last
run does not linger on the node.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from features.registry import KEY, graph_metrics
from shopgraph.errors import ShopgraphError

if TYPE_CHECKING:  # the adapter only needs a QueryRunner-like object; features never imports graph
    from graph.connection import QueryRunner

SET_QUERY = "features/set_user_features"
COUNT_QUERY = "features/count_featured_users"
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


def storable(value: Any) -> Any:
    """A value Neo4j can store: NaN and ±infinity become None (= property removed)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def user_rows(path: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[dict[str, Any]]:
    """``{"user_id": …, "props": {metric: value}}`` for each row of the feature table, streamed."""
    if not path.is_file():
        raise ShopgraphError(f"no feature table at {path}: run `shopgraph features` first")
    columns = [KEY, *(m.name for m in graph_metrics())]
    parquet = pq.ParquetFile(path)
    absent = [c for c in columns if c not in parquet.schema_arrow.names]
    if absent:
        raise ShopgraphError(
            f"{path} lacks column(s) {', '.join(absent)}: it is from an older version, rerun `shopgraph features`"
        )
    for batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
        data = batch.to_pydict()
        ids = data.pop(KEY)
        names = list(data)
        values = [data[n] for n in names]
        for i, user_id in enumerate(ids):
            yield {"user_id": user_id, "props": {n: storable(v[i]) for n, v in zip(names, values, strict=True)}}


def write_user_features(
    db: QueryRunner,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
    computed_at: str | None = None,
) -> GraphWrite:
    """Set the ``on_graph`` metrics of every row of ``path`` on its ``(:User {user_id})``.

    ``on_batch(n)`` is called after each committed batch of ``n`` rows (progress bars).
    """
    stamp = computed_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    total = 0
    for size in db.write_batches(SET_QUERY, user_rows(path, batch_size), batch_size=batch_size, computed_at=stamp):
        total += size
        if on_batch is not None:
            on_batch(size)
    matched = db.run(COUNT_QUERY, computed_at=stamp)[0]["users"] if total else 0
    return GraphWrite(rows=total, matched=matched, computed_at=stamp)


def count_rows(path: Path) -> int:
    """Rows of the feature table (from the Parquet footer; nothing is read)."""
    return pq.ParquetFile(path).metadata.num_rows
