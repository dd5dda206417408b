"""Writing the per-user metrics onto (:User) nodes of a real Neo4j (features/graph_write.py)."""

from __future__ import annotations

import datetime as dt

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
    seen: list[tuple[int, int]] = []
    result = write_user_features(db, feature_table.path, batch_size=2, progress=lambda *p: seen.append(p))
    assert seen == [(0, 3), (2, 3), (3, 3)]
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
    seen: list[tuple[int, int]] = []
    result = write_user_features(
        db, feature_table.path, batch_size=1, progress=lambda *p: seen.append(p), writers=writers
    )
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)] and result.matched == 3  # batch by batch, in order
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


def test_recency_is_read_from_last_seen_and_only_moved_rows_are_sent_again(
    db: QueryRunner, workspace: Workspace, feature_table
) -> None:
    con = duckdb.connect()
    seen = con.execute("SELECT user_id, last_seen FROM read_parquet($1)", [str(feature_table.path)]).fetchall()
    set_seen = "UNWIND $rows AS row MERGE (u:User {user_id: row[0]}) SET u.last_seen = row[1]"  # as the load does
    db.run_text(set_seen, {"rows": [[u, t.replace(tzinfo=dt.UTC)] for u, t in seen]})
    db.run_text("MATCH (u:User) SET u.recency_days = 1.0")  # as a write of an older version left it
    first = write_user_features(db, feature_table.path)
    assert (first.matched, first.unchanged) == (3, 0)
    recency = (
        "MATCH (f:FeaturesOnGraph), (u:User) RETURN u.user_id AS id, u.recency_days AS stale, "
        "duration.inSeconds(u.last_seen, f.window_end).seconds / 86400.0 AS recency ORDER BY id"
    )
    rows = db.run_text(recency)
    table = dict(
        con.execute("SELECT user_id, recency_days FROM read_parquet($1)", [str(feature_table.path)]).fetchall()
    )
    assert [r["stale"] for r in rows] == [None] * 3, "the recency_days of an older write is removed"
    assert {r["id"]: r["recency"] for r in rows} == pytest.approx(table)

    # a new month for user 2 only: the others' graph values stay, so they are not sent
    write_events(workspace, [ev("2019-12-05 09:00", user_id=2, user_session="e", product_id=1, price=100.0)])
    db.run_text(set_seen, {"rows": [[2, dt.datetime(2019, 12, 5, 9, tzinfo=dt.UTC)]]})
    second = write_user_features(db, build_user_features(workspace, load_calendar()).path)
    assert (second.rows, second.unchanged, second.matched) == (3, 2, 1)
    [marker] = db.run_text("MATCH (f:FeaturesOnGraph) RETURN f.window_end AS end, f.sha AS sha")
    assert marker["end"].to_native() == dt.datetime(2019, 12, 5, 9, tzinfo=dt.UTC) and marker["sha"]
    got = {r["id"]: r["recency"] for r in db.run_text(recency)}
    assert got[2] == 0.0
    assert got[1] == pytest.approx(4 + 23 / 24), "not sent, yet its recency follows the new window"
