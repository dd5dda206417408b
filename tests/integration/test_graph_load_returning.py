"""A later month of returning customers: their new pairs are created, their known pairs added to, never doubled."""

from __future__ import annotations

from pathlib import Path

import duckdb

from events.interactions import write_interactions
from events.retention import apply_retention
from graph.connection import QueryRunner
from graph.load import _known_pairs, ingested_files, load
from shopgraph.workspace import Workspace
from tests.support.store_builder import store_from_csv

HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
CATEGORY = "2053013555631882655,electronics.smartphone"


def _month(folder: Path, month: str, events: list[tuple[int, int, str]]) -> Path:
    """A REES46 month file of ``events`` (user, product, event type), one a day from the 1st."""
    path = folder / f"2019-{month}.csv"
    lines = [HEADER]
    for day, (user, product, event_type) in enumerate(events, start=1):
        lines.append(
            f"2019-{month}-{day:02d} 10:00:00 UTC,{event_type},{product},{CATEGORY},acme,10.00,{user},s-{user}-{month}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


OCT = [(1, 10, "view"), (1, 11, "view"), (2, 10, "cart")]
NOV = [(2, 11, "view"), (2, 10, "cart")]
DEC = [(1, 10, "view"), (1, 12, "view"), (1, 10, "cart"), (2, 10, "cart"), (3, 10, "view")]


def _relationships(db: QueryRunner) -> list[tuple[str, str, int]]:
    """(type, product, count) of every user-product relationship, one row per relationship (a double shows)."""
    rows = db.run_text(
        "MATCH (:User)-[r]->(p:Product) RETURN type(r) AS type, p.product_id AS product, r.count AS count"
    )
    return sorted((r["type"], r["product"], r["count"]) for r in rows)


def _doubles(db: QueryRunner) -> int:
    return db.run_text(
        "MATCH (u:User)-[r]->(p:Product) WITH u, p, type(r) AS type, count(r) AS n WHERE n > 1 RETURN count(*) AS n"
    )[0]["n"]


def test_month_by_month_equals_one_load_of_every_month(db: QueryRunner, workspace: Workspace, tmp_path) -> None:
    for month, events in (("10", OCT), ("11", NOV), ("12", DEC)):
        store_from_csv(workspace, _month(tmp_path, month, events))
        load(db, workspace)
    month_by_month = _relationships(db)
    assert _doubles(db) == 0
    assert ("VIEWED", 10, 2) in month_by_month  # October's view added to, not made again
    assert month_by_month.count(("CARTED", 10, 3)) == 1  # user 2: every month

    db.run("schema/reset")
    load(db, workspace)
    assert _relationships(db) == month_by_month


def test_known_pairs_are_the_pairs_of_files_in_the_graph(db: QueryRunner, workspace: Workspace, tmp_path) -> None:
    store_from_csv(workspace, _month(tmp_path, "10", OCT))
    load(db, workspace)
    store_from_csv(workspace, _month(tmp_path, "12", DEC))
    december = ingested_files(workspace)[-1]
    con = duckdb.connect()
    aggregate = str(write_interactions(workspace, december, con))

    known = _known_pairs(db, con, workspace, december, aggregate, "load-1")
    assert known is not None
    rows = con.sql(f"SELECT user_id, product_id, event_type FROM read_parquet('{known}')").fetchall()
    # pseudonymised ids: two known pairs (user 1 viewed, user 2 carted product 10 in October), three new
    assert sorted((product, event_type) for _, product, event_type in rows) == [(10, "cart"), (10, "view")]

    assert _known_pairs(db, con, workspace, december, aggregate, None) is None  # a load begun by an older version


def test_a_month_the_store_expired_makes_every_returning_pair_a_merge(
    db: QueryRunner, workspace: Workspace, tmp_path
) -> None:
    """October is in the graph but no longer in the store: its pairs cannot be told, so none is created twice."""
    for month, events in (("10", OCT), ("11", NOV)):
        store_from_csv(workspace, _month(tmp_path, month, events))
    load(db, workspace)
    store_from_csv(workspace, _month(tmp_path, "12", DEC))
    assert apply_retention(workspace, 2).months_dropped == ["2019-10"]

    load(db, workspace)
    assert _doubles(db) == 0
    relationships = _relationships(db)
    assert ("VIEWED", 10, 2) in relationships  # user 1 viewed product 10 in October and December, not in November
