"""The User-property writer without a server: columns sent, NaN never sent, missing users counted."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cypher
from features.graph_write import SET_QUERY, user_columns, write_user_features
from features.registry import KEY, METRICS, graph_metrics
from graph.node_ids import MISSING, NodeIds
from shopgraph.errors import ShopgraphError

TYPES = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
}


def feature_table(path: Path, n: int) -> Path:
    """A feature table of ``n`` users with registry types; user 1 has NaN/inf/None in some rates."""
    columns: dict[str, list[Any]] = {KEY: list(range(1, n + 1))}
    for m in METRICS:
        if m.dtype == "DOUBLE":
            columns[m.name] = [0.5] * n
        elif m.dtype == "VARCHAR":
            columns[m.name] = ["x"] * n
        elif m.dtype == "TIMESTAMP":
            columns[m.name] = [None] * n
        else:
            columns[m.name] = [3] * n
    columns["purchase_rate"][0] = float("nan")
    columns["avg_order_value"][0] = float("inf")
    columns["rfm_code"][0] = None
    schema = pa.schema([(KEY, pa.int64()), *((m.name, TYPES[m.dtype]) for m in METRICS)])
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


class RecordingRunner:
    """A QueryRunner stand-in: records batches; pretends only users in ``known`` exist."""

    def __init__(self, known: set[int]) -> None:
        self.known = known
        self.batches: list[Mapping[str, Any]] = []
        self.params: dict[str, Any] = {}

    def user_nodes(self) -> NodeIds:
        known = np.array(sorted(self.known), dtype=np.int64)
        return NodeIds(known, known + 1000)

    def write_columns(
        self, name: str, batches: Iterable[Mapping[str, Any]], **params: Any
    ) -> Iterator[tuple[Mapping[str, Any], list[dict[str, Any]]]]:
        assert name == SET_QUERY
        self.params = params
        for batch in batches:
            self.batches.append(batch)
            assert batch["node_ids"] == [u + 1000 if u in self.known else MISSING for u in batch["user_ids"]]
            yield batch, [{"matched": sum(u in self.known for u in batch["user_ids"])}]


def test_columns_carry_only_graph_metrics_and_never_nan(tmp_path: Path) -> None:
    [batch] = list(user_columns(feature_table(tmp_path / "f.parquet", 3)))
    assert batch["user_ids"] == [1, 2, 3]
    assert set(batch) == {"user_ids", *(m.name for m in graph_metrics())}
    assert all(len(column) == 3 for column in batch.values()), "aligned lists"
    assert batch["purchase_rate"][0] is None and batch["avg_order_value"][0] is None and batch["rfm_code"][0] is None
    assert batch["purchase_rate"][1:] == [0.5, 0.5]
    for column in batch.values():
        for value in column:
            assert not (isinstance(value, float) and not math.isfinite(value))


def test_the_statement_sets_every_graph_metric_from_its_column() -> None:
    statement = cypher.query(SET_QUERY)
    set_here = re.findall(r"u\.(\w+) = \$(\w+)\[i\]", statement.split("\nSET ", 1)[1])
    assert [prop for prop, _ in set_here] == [column for _, column in set_here], "each from its own column"
    assert [prop for prop, _ in set_here] == [m.name for m in graph_metrics()]


def test_batches_progress_and_missing_users_are_counted(tmp_path: Path) -> None:
    path = feature_table(tmp_path / "f.parquet", 25)
    runner = RecordingRunner(known=set(range(1, 21)))
    seen: list[int] = []
    result = write_user_features(runner, path, batch_size=10, on_batch=seen.append, computed_at="stamp")
    assert seen == [10, 10, 5]
    assert (result.rows, result.matched, result.missing) == (25, 20, 5)
    assert runner.params == {"computed_at": "stamp", "writers": 1}


def test_missing_table_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="run `shopgraph features` first"):
        list(user_columns(tmp_path / "absent.parquet"))
