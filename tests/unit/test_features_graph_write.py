"""The User-property writer without a server: rows sent, NaN never sent, missing users counted."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.graph_write import SET_QUERY, user_rows, write_user_features
from features.registry import KEY, METRICS, graph_metrics
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
        self.batches: list[list[Mapping[str, Any]]] = []
        self.params: dict[str, Any] = {}
        self.matched: set[int] = set()

    def write_batches(
        self, name: str, rows: Iterable[Mapping[str, Any]], batch_size: int = 10_000, **params: Any
    ) -> Iterator[int]:
        assert name == SET_QUERY
        self.params = params
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == batch_size:
                yield from self._commit(batch)
                batch = []
        if batch:
            yield from self._commit(batch)

    def _commit(self, batch: list[Mapping[str, Any]]) -> Iterator[int]:
        self.batches.append(batch)
        self.matched |= {r["user_id"] for r in batch if r["user_id"] in self.known}
        yield len(batch)

    def run(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        assert params["computed_at"] == self.params["computed_at"]
        return [{"users": len(self.matched)}]


def test_rows_carry_only_graph_metrics_and_never_nan(tmp_path: Path) -> None:
    rows = list(user_rows(feature_table(tmp_path / "f.parquet", 3)))
    assert [r["user_id"] for r in rows] == [1, 2, 3]
    assert set(rows[0]["props"]) == {m.name for m in graph_metrics()}
    first = rows[0]["props"]
    assert first["purchase_rate"] is None and first["avg_order_value"] is None and first["rfm_code"] is None
    for row in rows:
        for value in row["props"].values():
            assert not (isinstance(value, float) and not math.isfinite(value))


def test_batches_progress_and_missing_users_are_counted(tmp_path: Path) -> None:
    path = feature_table(tmp_path / "f.parquet", 25)
    runner = RecordingRunner(known=set(range(1, 21)))
    seen: list[int] = []
    result = write_user_features(runner, path, batch_size=10, on_batch=seen.append, computed_at="stamp")
    assert seen == [10, 10, 5]
    assert (result.rows, result.matched, result.missing) == (25, 20, 5)
    assert runner.params == {"computed_at": "stamp"}


def test_missing_table_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="run `shopgraph features` first"):
        list(user_rows(tmp_path / "absent.parquet"))
