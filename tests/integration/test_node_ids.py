"""graph/node_ids.py on the real server: every User's node id read page by page, and a write that finds a node by
a stale id (another customer's node by then) writes nothing."""

from __future__ import annotations

import re

import pytest

import cypher
from graph.connection import QueryRunner
from graph.node_ids import MISSING, SMALLEST, NodeIds, key_ranges
from tests.support.by_node_id import BY_ID


def test_the_ids_of_every_user_are_read_across_pages(db: QueryRunner) -> None:
    # the edges of the pseudonyms' range, a page boundary on 6, and the edges of the readers' ranges (key_ranges)
    edges = [key for start, upto in key_ranges(3) for key in (start, upto)]
    ids = sorted({SMALLEST, -7, -1, 0, 5, 6, 7, 2**63 - 1, *edges})
    db.run_text("UNWIND $ids AS i CREATE (:User {user_id: i})", {"ids": ids})
    db.run_text("CREATE (:Product {product_id: 5})")  # another label's node is no customer
    truth = {r["u"]: r["n"] for r in db.run_text("MATCH (u:User) RETURN u.user_id AS u, id(u) AS n")}
    for page in (2, 3, 7, 100):
        for readers in (1, 2, 3):
            nodes = NodeIds.read(db, "user", page=page, readers=readers)
            assert nodes.keys.tolist() == ids, (page, readers)
            assert nodes.ids(ids) == [truth[i] for i in ids]
    assert db.user_nodes().ids([8]) == [MISSING]


def test_a_stale_node_id_writes_nothing(db: QueryRunner) -> None:
    db.run_text("UNWIND [1, 2] AS i CREATE (:User {user_id: i})")
    nodes = db.user_nodes()
    db.run_text("MATCH (u:User {user_id: 1}) DELETE u")
    db.run_text("CREATE (:User {user_id: 3})")  # may take the freed id: its node is not customer 1's
    written = db.run(
        "segments/set_likely",
        user_ids=[1, 2],
        node_ids=nodes.ids([1, 2]),
        segment_ids=[1, 1],
        confidences=[0.5, 0.5],
        names={"1": ["One", "Un"]},
    )
    assert written == [{"written": 1}]
    held = db.run_text("MATCH (u:User) RETURN u.user_id AS u, u.likely_segment AS s ORDER BY u")
    assert held == [{"u": 2, "s": "One"}, {"u": 3, "s": None}]


def operators(db: QueryRunner, name: str) -> list[str]:
    """The operators of the plan of ``cypher/<name>.cypher``, every parameter null."""
    statement = cypher.query(name)
    params = {param: None for param in re.findall(r"\$(\w+)", statement)}
    with db.driver.session() as session:
        plan = session.run("EXPLAIN " + statement, params).consume().plan
    found: list[str] = []

    def walk(operator) -> None:
        found.append(operator["operatorType"].split("@")[0])
        for child in operator.get("children", []):
            walk(child)

    walk(plan)
    return found


@pytest.mark.parametrize("name", BY_ID)
def test_the_per_customer_writes_seek_by_id_and_never_scan(db: QueryRunner, name: str) -> None:
    """The planner must read `WHERE id(u) = … AND u.user_id = …` as an id seek: without the label a scan of every
    node would be its only other way, and on a REES46 month that is a write that never ends."""
    found = operators(db, name)
    assert "NodeByIdSeek" in found, found
    assert not {"AllNodesScan", "NodeByLabelScan"} & set(found), found


@pytest.mark.parametrize("name", ["nodes/user_node_ids", "nodes/product_node_ids", "segments/likely_held"])
def test_a_page_is_read_along_the_key_index_without_sorting(db: QueryRunner, name: str) -> None:
    """Each page must come in the index's order: a sort would read every node again for every page."""
    found = operators(db, name)
    assert any(op.endswith("IndexSeekByRange") for op in found), found
    assert not {"Sort", "Top", "PartialSort", "PartialTop"} & set(found), found


def test_the_segment_steps_writes_take_the_ids_read_once(db: QueryRunner, workspace, monkeypatch) -> None:
    """`run`'s segment step reads the customers' ids once for the write-back and the look-alike links (neither
    creates a customer): given the ids, neither reads them again, and both write what they write alone."""
    import numpy as np

    from segments.similar import SIMILAR_FILE, similar_pairs, write_similar
    from segments.writeback import write_run
    from tests.support.writeback_case import RUN_A, graph_view, make_graph, make_run

    make_graph(db, 20)
    run_dir = make_run(workspace.home, RUN_A, list(range(1, 21)), seed=1)
    similar_pairs(np.arange(1, 21), np.arange(20, dtype=np.float64)[:, None], neighbours=2).to_parquet(
        run_dir / SIMILAR_FILE
    )
    users = db.user_nodes()

    def no_second_read(*_args, **_kwargs):
        raise AssertionError("the ids were read again")

    monkeypatch.setattr(NodeIds, "read", no_second_read)
    report = write_run(db, workspace, run_dir, nodes=users)
    linked = write_similar(db, run_dir, nodes=users)
    view = graph_view(db)
    assert report.matched == 20 and len(view["links"]) == 20 and {u["run"] for u in view["users"]} == {RUN_A}
    assert linked == 40 == len(db.run_text("MATCH (:User)-[s:SIMILAR]->(:User) RETURN s"))
