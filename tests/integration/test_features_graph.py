"""Writing the per-user metrics onto (:User) nodes of a real Neo4j (features/graph_write.py)."""

from __future__ import annotations

import duckdb
import pytest

from features.calendar import load_calendar
from features.compute import build_user_features
from features.graph_write import write_user_features
from features.registry import graph_metrics
from graph.connection import QueryRunner
from shopgraph.workspace import Workspace
from tests.support.features_store import ev, write_events

EVENTS = [
    # user 1: buys in one of two sessions
    ev("2019-11-29 10:00", user_id=1, user_session="a", event_type="view", product_id=1, price=100.0),
    ev("2019-11-29 10:01", user_id=1, user_session="a", event_type="cart", product_id=1, price=100.0),
    ev("2019-11-29 10:02", user_id=1, user_session="a", event_type="purchase", product_id=1, price=100.0),
    ev("2019-11-30 10:00", user_id=1, user_session="b", event_type="view", product_id=2, price=50.0),
    # user 2: only views (no cart, no purchase: several metrics are NULL)
    ev("2019-10-01 10:00", user_id=2, user_session="c", event_type="view", product_id=2, price=50.0),
    # user 3: buys, but has no User node in the graph
    ev("2019-10-02 10:00", user_id=3, user_session="d", event_type="purchase", product_id=2, price=50.0),
]


@pytest.fixture
def feature_table(workspace: Workspace):
    write_events(workspace, EVENTS)
    return build_user_features(workspace, load_calendar())


def test_metrics_land_on_user_nodes_and_missing_users_are_counted(db: QueryRunner, feature_table) -> None:
    db.run_text("UNWIND $ids AS id CREATE (:User {user_id: id})", {"ids": [1, 2, 99]})
    # a stale value from an earlier run must disappear when the metric is now undefined
    db.run_text("MATCH (u:User {user_id: 2}) SET u.cart_to_purchase_rate = 0.9")
    batches: list[int] = []
    result = write_user_features(db, feature_table.path, batch_size=2, on_batch=batches.append)
    assert batches == [2, 1]
    assert (result.rows, result.matched, result.missing) == (3, 2, 1)

    [row] = db.run_text("MATCH (u:User) WHERE u.user_id IN [1, 2] RETURN avg(u.purchase_rate) AS rate")
    assert row["rate"] == pytest.approx((0.5 + 0.0) / 2)

    [one] = db.run_text("MATCH (u:User {user_id: 1}) RETURN properties(u) AS p")
    props = one["p"]
    assert props["n_orders"] == 1 and props["total_spent"] == pytest.approx(100.0)
    assert props["rfm_code"] == "515" and props["top_category"] == "other"  # later, same F, more spent than 3
    assert props["features_at"] == result.computed_at
    assert set(props) <= {"user_id", "features_at", *(m.name for m in graph_metrics())}

    [two] = db.run_text("MATCH (u:User {user_id: 2}) RETURN properties(u) AS p")
    assert "cart_to_purchase_rate" not in two["p"]  # NULL = absent, stale value removed
    assert "avg_order_value" not in two["p"] and "rfm_code" not in two["p"]
    assert two["p"]["purchase_rate"] == 0.0

    [untouched] = db.run_text("MATCH (u:User {user_id: 99}) RETURN keys(u) AS k")
    assert untouched["k"] == ["user_id"]
    [count] = db.run_text("MATCH (u:User) RETURN count(u) AS n")
    assert count["n"] == 3, "users missing from the graph must not be created"


@pytest.mark.parametrize("writers", [1, 2])
def test_graph_values_equal_the_parquet_values(db: QueryRunner, feature_table, writers: int) -> None:
    db.run_text("UNWIND $ids AS id CREATE (:User {user_id: id})", {"ids": [1, 2, 3]})
    batches: list[int] = []
    result = write_user_features(db, feature_table.path, batch_size=1, on_batch=batches.append, writers=writers)
    assert batches == [1, 1, 1] and result.matched == 3  # batch by batch, each counted once, in order
    names = [m.name for m in graph_metrics()]
    con = duckdb.connect()
    cur = con.execute(f"SELECT user_id, {', '.join(names)} FROM read_parquet($1)", [str(feature_table.path)])
    for row in cur.fetchall():
        [node] = db.run_text("MATCH (u:User {user_id: $id}) RETURN properties(u) AS p", {"id": row[0]})
        for name, value in zip(names, row[1:], strict=True):
            if value is None:
                assert name not in node["p"], f"user {row[0]}: {name} should be absent"
            elif isinstance(value, float):
                assert node["p"][name] == pytest.approx(value), name
            else:
                assert node["p"][name] == value, name
