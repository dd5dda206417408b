"""The User-property writer without a server: columns sent, NaN never sent, missing users counted, only the rows
that moved sent again."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import cypher
from features.graph_write import SET_QUERY, WRITTEN, user_columns, write_user_features
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
            columns[m.name] = [dt.datetime(2020, 1, 1) + dt.timedelta(hours=u) for u in range(n)]
        else:
            columns[m.name] = [3] * n
    columns["purchase_rate"][0] = float("nan")
    columns["avg_order_value"][0] = float("inf")
    columns["rfm_code"][0] = None
    schema = pa.schema([(KEY, pa.int64()), *((m.name, TYPES[m.dtype]) for m in METRICS)])
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


class RecordingRunner:
    """A QueryRunner stand-in: records batches; pretends only users in ``known`` exist; keeps the graph's
    (:FeaturesOnGraph) node as a dict (None: no node)."""

    def __init__(self, known: set[int]) -> None:
        self.known = known
        self.batches: list[Mapping[str, Any]] = []
        self.params: dict[str, Any] = {}
        self.marker: dict[str, Any] | None = None
        self.short = False  # a batch matches one user fewer than it holds (a stale node id)

    def run(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        if name == "features/features_on_graph":
            return [{"sha": (self.marker or {}).get("sha"), "window_end": (self.marker or {}).get("window_end")}]
        if name == "features/begin_features_write":
            self.marker = {"sha": None, **params}
        elif name == "features/finish_features_write":
            assert self.marker is not None
            self.marker["sha"] = params["sha"]
        else:
            raise AssertionError(name)
        return []

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
            yield batch, [{"matched": sum(u in self.known for u in batch["user_ids"]) - self.short}]

    def sent(self) -> list[int]:
        """The users sent since the last call."""
        users = [u for batch in self.batches for u in batch["user_ids"]]
        self.batches = []
        return users


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
    seen: list[tuple[int, int]] = []
    result = write_user_features(runner, path, batch_size=10, progress=lambda *p: seen.append(p), computed_at="stamp")
    assert seen == [(0, 25), (10, 25), (20, 25), (25, 25)]
    assert (result.rows, result.matched, result.missing, result.unchanged) == (25, 20, 5, 0)
    assert runner.params == {"computed_at": "stamp", "writers": 1}
    assert runner.marker is not None and runner.marker["window_end"] == dt.datetime(2020, 1, 2, tzinfo=dt.UTC), (
        "the last last_seen"
    )
    assert runner.marker["computed_at"] == "stamp" and runner.marker["sha"]


def rewrite(path: Path, user_id: int, **values: Any) -> None:
    """Change some values of one user of a feature table."""
    table = pq.read_table(path)
    here = pc.equal(table.column(KEY), user_id)
    for name, value in values.items():
        column = table.column(name)
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, pc.if_else(here, pa.scalar(value, column.type), column))
    pq.write_table(table, path)


def test_only_the_rows_that_moved_are_sent_again(tmp_path: Path) -> None:
    path = feature_table(tmp_path / "f.parquet", 25)
    runner = RecordingRunner(known=set(range(1, 21)))
    write_user_features(runner, path, batch_size=10)
    assert runner.sent() == list(range(1, 26))

    again = write_user_features(runner, path, batch_size=10)
    assert runner.sent() == list(range(21, 26)), "users without a node are sent until they have one"
    assert (again.rows, again.unchanged, again.matched, again.missing) == (25, 20, 0, 5)

    runner.known |= {21}  # loaded since
    rewrite(path, 7, total_spent=12.5)
    rewrite(path, 9, top_category=None)
    rewrite(path, 11, recency_days=99.0)  # not on the graph: not a reason to send
    write_user_features(runner, path, batch_size=10)
    assert runner.sent() == [7, 9, 21, 22, 23, 24, 25]
    write_user_features(runner, path, batch_size=10)
    assert runner.sent() == [22, 23, 24, 25]


@pytest.mark.parametrize("graph", ["made anew", "write stopped midway", "copy lost", "node id stale"])
def test_every_row_is_sent_when_what_the_graph_holds_is_not_known(tmp_path: Path, graph: str) -> None:
    path = feature_table(tmp_path / "f.parquet", 25)
    runner = RecordingRunner(known=set(range(1, 26)))
    write_user_features(runner, path, batch_size=10)
    runner.sent()
    if graph == "made anew":
        runner.marker = None
    elif graph == "write stopped midway":
        assert runner.marker is not None
        runner.marker["sha"] = None  # begin_features_write cleared it; finish never ran
    elif graph == "copy lost":
        (tmp_path / WRITTEN).unlink()
    else:
        runner.short, runner.marker = True, None
        write_user_features(runner, path, batch_size=10)  # a full write that cannot say what the graph holds
        assert runner.marker is not None and runner.marker["sha"] is None and not (tmp_path / WRITTEN).exists()
        runner.short = False
    runner.sent()
    result = write_user_features(runner, path, batch_size=10)
    assert runner.sent() == list(range(1, 26)) and result.unchanged == 0
    write_user_features(runner, path, batch_size=10)
    assert runner.sent() == [], "known again once a full write is complete"
    assert not (tmp_path / ".graph-write").exists(), "no scratch left beside the table"


def test_missing_table_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="run `shopgraph features` first"):
        list(user_columns(tmp_path / "absent.parquet"))
