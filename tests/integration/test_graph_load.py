"""Loading the event store into the real Neo4j: counts equal the store, additive, idempotent."""

from __future__ import annotations

import duckdb
import pytest

from events.interactions import interactions_path
from events.store import connect_events
from graph.connection import QueryRunner
from graph.load import ingested_files, load, step_queries
from shopgraph.workspace import Workspace
from tests.support.store_builder import store_from_csv

REL = {"view": "VIEWED", "cart": "CARTED", "remove_from_cart": "REMOVED", "purchase": "PURCHASED"}


def graph_counts(db: QueryRunner) -> dict[str, int]:
    counts = {
        "users": db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"],
        "products": db.run_text("MATCH (p:Product) RETURN count(p) AS n")[0]["n"],
        "user_events": db.run_text("MATCH (u:User) RETURN sum(u.n_events) AS n")[0]["n"],
    }
    for event_type, rel in REL.items():
        counts[event_type] = db.run_text(f"MATCH ()-[r:{rel}]->() RETURN coalesce(sum(r.count), 0) AS n")[0]["n"]
    return counts


def store_counts(workspace: Workspace) -> dict[str, int]:
    con = connect_events(workspace)
    counts = {
        "users": con.execute("SELECT count(DISTINCT user_id) FROM events").fetchone()[0],
        "products": con.execute("SELECT count(DISTINCT product_id) FROM events").fetchone()[0],
        "user_events": con.execute("SELECT count(*) FROM events").fetchone()[0],
    }
    for event_type in REL:
        counts[event_type] = con.execute("SELECT count(*) FROM events WHERE event_type = ?", [event_type]).fetchone()[0]
    return counts


@pytest.fixture
def real_store(workspace: Workspace, shared_data) -> Workspace:
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    return workspace


def test_graph_counts_equal_the_event_store(db: QueryRunner, real_store: Workspace) -> None:
    report = load(db, real_store, batch_size=500)
    assert len(report.files_loaded) == 2
    assert graph_counts(db) == store_counts(real_store)
    purchases = (
        duckdb.connect()
        .execute(
            f"SELECT round(sum(price), 2) FROM read_parquet('{real_store.events_dir}/*/*.parquet') "
            "WHERE event_type = 'purchase'"
        )
        .fetchone()[0]
    )
    amount = db.run_text("MATCH ()-[r:PURCHASED]->() RETURN sum(r.amount) AS a")[0]["a"]
    assert amount == pytest.approx(purchases)


def test_second_load_changes_nothing(db: QueryRunner, real_store: Workspace) -> None:
    load(db, real_store)
    before = graph_counts(db)
    report = load(db, real_store)
    assert report.files_loaded == [] and len(report.files_skipped) == 2
    assert graph_counts(db) == before


def test_month_by_month_adds_up(db: QueryRunner, workspace: Workspace, shared_data) -> None:
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    load(db, workspace)
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    report = load(db, workspace)
    assert report.files_loaded == ["rees46-2019-nov-first683.csv"]
    assert graph_counts(db) == store_counts(workspace)


def test_category_levels_form_a_hierarchy(db: QueryRunner, real_store: Workspace) -> None:
    load(db, real_store)
    rows = db.run_text(
        "MATCH (c:Category {code: 'electronics.audio.headphone'})-[:CHILD_OF]->(l3:CategoryLevel)"
        "-[:CHILD_OF]->(l2:CategoryLevel)-[:CHILD_OF]->(l1:CategoryLevel) "
        "RETURN l3.path AS l3, l2.path AS l2, l1.path AS l1, l1.depth AS depth"
    )
    assert rows == [{"l3": "electronics.audio.headphone", "l2": "electronics.audio", "l1": "electronics", "depth": 1}]
    exact = db.run_text("MATCH (c:Category {category_id: 2053013554658804075}) RETURN c.category_id AS id")
    assert exact == [{"id": 2053013554658804075}]


def test_products_carry_their_brand(db: QueryRunner, real_store: Workspace) -> None:
    load(db, real_store, batch_size=500)
    con = connect_events(real_store)
    expected = dict(
        con.execute("SELECT product_id, max(brand) FROM events GROUP BY 1 HAVING count(DISTINCT brand) <= 1").fetchall()
    )
    assert any(b is None for b in expected.values()) and any(b is not None for b in expected.values())

    def brands() -> dict[int, str | None]:
        return {
            r["id"]: r["brand"] for r in db.run_text("MATCH (p:Product) RETURN p.product_id AS id, p.brand AS brand")
        }

    graph = brands()
    assert {p: graph[p] for p in expected} == expected
    unbranded = db.run_text(
        "MATCH (p:Product) WHERE p.brand IS NULL RETURN count(p) AS n, "
        "sum(size([k IN keys(p) WHERE k = 'brand'])) AS keys"
    )[0]
    assert unbranded["n"] == sum(b is None for b in graph.values()) > 0 and unbranded["keys"] == 0
    mismatched = db.run_text(
        "MATCH (p:Product) WHERE p.brand IS NOT NULL AND NOT EXISTS "
        "{ (p)-[:OF_BRAND]->(:Brand {name: p.brand}) } RETURN count(p) AS n"
    )[0]["n"]
    assert mismatched == 0
    for source in ingested_files(real_store):  # replaying each file's product rows changes no brand
        events = [str(f) for f in source.event_files(real_store)]
        sql = next(
            q for step, _, q in step_queries(events, str(interactions_path(real_store, source))) if step == "products"
        )
        cursor = duckdb.connect().execute(sql)
        columns = [d[0] for d in cursor.description]
        for _ in db.write_batches(
            "load/merge_products", (dict(zip(columns, r, strict=True)) for r in cursor.fetchall())
        ):
            pass
    assert brands() == graph
