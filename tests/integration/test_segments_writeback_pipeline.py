"""A real run folder from `segments.segmentation.segment` written to Neo4j: the formats of both halves agree."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.parquet as pq
import pytest

from events.ingest import ingest_files
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from features.graph_write import write_user_features
from graph.connection import QueryRunner
from graph.load import load
from segments.assigning import classify_new_customers
from segments.figures import MEAN_METRICS
from segments.segmentation import segment
from segments.writeback import WRITTEN, keep_written_before_assign, write_run
from shopgraph.workspace import Workspace

pytestmark = pytest.mark.chain  # the whole chain, end to end


def test_a_pipeline_run_lands_whole_in_the_graph(db: QueryRunner, workspace: Workspace, tmp_path) -> None:
    data = generate(tmp_path / "data", users=400, months="2019-11..2019-12", seed=5)
    ingest_files(workspace, sorted(data.files), pseudonymise=False)
    load(db, workspace)
    build_user_features(workspace, load_calendar())
    run = segment(workspace, seed=0, classifiers=("knn", "decision_tree"))

    report = write_run(db, workspace, run.run_dir)

    assert report.not_in_graph == 0 and report.missing_from_run == 0 and report.matched == report.users
    assert (
        db.run_text(
            "MATCH (u:User) WHERE u.segment IS NULL OR u.segment_run <> $r RETURN count(u) AS n", {"r": run.run_id}
        )[0]["n"]
        == 0
    )
    profiles = json.loads((run.run_dir / "segments.json").read_text(encoding="utf-8"))
    graph = {
        r["id"]: r
        for r in db.run_text(
            "MATCH (s:Segment {current: true}) RETURN s.segment_id AS id, s.name AS name, s.name_fr AS fr, "
            "s.size AS size, size(s.actions_fr) AS actions, count{ (s)<-[:IN_SEGMENT]-() } AS members"
        )
    }
    assert sorted(graph) == sorted(int(p["segment_id"]) for p in profiles)
    assignments = pq.read_table(run.run_dir / "assignments.parquet").to_pandas()
    for p in profiles:
        s = graph[int(p["segment_id"])]
        assert (s["name"], s["fr"]) == (p["name"]["en"], p["name"]["fr"]) and s["actions"] >= 2
        assert s["members"] == int((assignments["segment_id"] == int(p["segment_id"])).sum())
        users = db.run_text("MATCH (u:User {segment: $name}) RETURN count(u) AS n", {"name": s["name"]})[0]["n"]
        assert users == s["members"]
    preferred = sum(len(p.get("categories") or []) + len(p.get("brands") or []) for p in profiles)
    linked = db.run_text("MATCH (:Segment {current: true})-[p:PREFERS]->() RETURN count(p) AS n")[0]["n"]
    assert linked == preferred  # every preferred category (by category_id) and brand (by name) is in the graph
    run_node = db.run_text("MATCH (r:SegmentationRun {current: true}) RETURN r AS r")[0]["r"]
    assert run_node["run_id"] == run.run_id and run_node["k"] == run.k and run_node["method"] == run.method
    assert json.loads(run_node["scores_json"]) and run_node["threshold"] >= 1


MEMBER_SCAN = """
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
MATCH (s)<-[:IN_SEGMENT]-(u:User)
OPTIONAL MATCH (f:FeaturesOnGraph)
WITH s, f, collect(u) AS members
RETURN s AS s, size(members) AS customers,
       size([u IN members WHERE u.n_orders > 0]) AS buyers,
       reduce(t = 0.0, u IN members | t + coalesce(u.total_spent, 0.0)) AS revenue,
       reduce(t = 0.0, u IN members | t + coalesce(u.n_orders, 0)) AS orders,
       [m IN $metrics | [x IN [u IN members | CASE m WHEN 'recency_days'  // not stored: see docs/METRICS.md
            THEN duration.inSeconds(u.last_seen, f.window_end).seconds / 86400.0 ELSE u[m] END] WHERE x IS NOT NULL]]
           AS values,
       [u IN members | coalesce(u.rfm_code, '')] AS rfm_codes,
       [u IN members | coalesce(u.top_category, '')] AS top_categories
"""


def test_the_stored_segment_figures_equal_a_member_scan(db: QueryRunner, workspace: Workspace, tmp_path) -> None:
    """The figures the per-segment analyst queries read (segments/figures.py) are those of the run's members."""
    data = generate(tmp_path / "data", users=400, months="2019-11..2019-12", seed=6)
    ingest_files(workspace, sorted(data.files), pseudonymise=False)
    load(db, workspace)
    table = build_user_features(workspace, load_calendar())
    write_user_features(db, table.path)
    run = segment(workspace, seed=0, classifiers=("knn", "decision_tree"))
    write_run(db, workspace, run.run_dir)

    rows = _stored_equal_scanned(db)
    assert len(rows) >= 3 and sum(r["customers"] for r in rows) == 400
    for kind, items, label, rel, key in (
        ("category", "category_ids", "Category", "IN_CATEGORY", "category_id"),
        ("brand", "brands", "Brand", "OF_BRAND", "name"),
    ):
        scanned = db.run_text(
            "MATCH (pointer:CurrentSegmentation) MATCH (s:Segment {run_id: pointer.run_id}) "
            f"MATCH (s)<-[:IN_SEGMENT]-(:User)-[:PURCHASED]->(:Product)-[:{rel}]->(x:{label}) "
            f"WITH s, x, count(*) AS n RETURN s.segment_id AS segment_id, x.{key} AS item, n, "
            f"COUNT {{ (x)<-[:{rel}]-(:Product)<-[:PURCHASED]-() }} AS all_n"
        )
        stored = db.run_text(
            "MATCH (pointer:CurrentSegmentation) MATCH (s:Segment {run_id: pointer.run_id}) "
            f"RETURN s.segment_id AS segment_id, s.{items} AS items, "
            f"s.{kind}_purchases AS n, s.{kind}_all_purchases AS all_n"
        )
        expected = {(r["segment_id"], r["item"]): (r["n"], r["all_n"]) for r in scanned}
        got = {
            (r["segment_id"], item): (n, all_n)
            for r in stored
            for item, n, all_n in zip(r["items"], r["n"], r["all_n"], strict=True)
        }
        assert got == expected and expected, kind
    bought = db.run_text(  # each segment's products with 2+ of its customers, and its pairs bought together
        "MATCH (pointer:CurrentSegmentation) MATCH (s:Segment {run_id: pointer.run_id}) "
        "MATCH (s)<-[:IN_SEGMENT]-(u:User)-[:PURCHASED]->(p:Product) WITH s, p, count(u) AS n WHERE n >= 2 "
        "RETURN s.segment_id AS segment_id, p.product_id AS product, n, COUNT { (p)<-[:PURCHASED]-() } AS all_n"
    )
    pairs = db.run_text(
        "MATCH (pointer:CurrentSegmentation) MATCH (s:Segment {run_id: pointer.run_id}) "
        "MATCH (s)<-[:IN_SEGMENT]-(u:User)-[:PURCHASED]->(a:Product), (u)-[:PURCHASED]->(b:Product) "
        "WHERE a.product_id < b.product_id WITH s, a, b, count(u) AS n WHERE n >= 2 "
        "RETURN s.segment_id AS segment_id, a.product_id AS a, b.product_id AS b, n"
    )
    stored = db.run_text("MATCH (pointer:CurrentSegmentation) MATCH (s:Segment {run_id: pointer.run_id}) RETURN s AS s")
    products, together = {}, {}
    for r in stored:
        s = r["s"]
        lists = (s["product_ids"], s["product_buyers"], s["product_all_buyers"])
        products |= {(s["segment_id"], p): (n, a) for p, n, a in zip(*lists, strict=True)}
        lists = (s["together_a"], s["together_b"], s["together_customers"])
        together |= {(s["segment_id"], a, b): n for a, b, n in zip(*lists, strict=True)}
    assert products == {(r["segment_id"], r["product"]): (r["n"], r["all_n"]) for r in bought} and products
    assert together == {(r["segment_id"], r["a"], r["b"]): r["n"] for r in pairs}


def _stored_equal_scanned(db: QueryRunner) -> list[dict]:
    """Asserts that each current Segment node's stored figures are its members'; returns the member scan."""
    rows = db.run_text(MEMBER_SCAN, {"metrics": list(MEAN_METRICS)})
    for r in rows:
        s = r["s"]
        assert (s["customers"], s["buyers"]) == (r["customers"], r["buyers"]), s["name"]
        assert s["revenue"] == pytest.approx(r["revenue"]) and s["orders"] == pytest.approx(r["orders"])
        for metric, values in zip(MEAN_METRICS, r["values"], strict=True):
            expected = sum(values) / len(values) if values else None
            assert s[f"avg_{metric}"] == pytest.approx(expected), (s["name"], metric)
        assert dict(zip(s["rfm_codes"], s["rfm_customers"], strict=True)) == Counter(r["rfm_codes"])
        assert dict(zip(s["top_categories"], s["top_category_customers"], strict=True)) == Counter(r["top_categories"])
    return rows


def test_after_a_month_that_assigns_the_stored_figures_are_the_members_of_now(
    db: QueryRunner, workspace: Workspace, tmp_path
) -> None:
    """New customers assigned to the run's segments count in its Segment nodes' figures and sizes."""
    data = generate(tmp_path / "data", users=400, months="2019-11..2020-01", seed=6)
    files = sorted(data.files)
    ingest_files(workspace, files[:2], pseudonymise=False)
    load(db, workspace)
    write_user_features(db, build_user_features(workspace, load_calendar()).path)
    run = segment(workspace, seed=0, classifiers=("knn", "decision_tree"))
    write_run(db, workspace, run.run_dir)
    trained = {s["segment_id"]: s["size"] for s in json.loads((run.run_dir / "segments.json").read_text())}
    (run.run_dir / WRITTEN).unlink()  # as a run written before the write-back kept its copy: `assign` keeps it

    ingest_files(workspace, files[2:], pseudonymise=False)
    load(db, workspace)
    write_user_features(db, build_user_features(workspace, load_calendar()).path)
    keep_written_before_assign(workspace)  # as `run` and `assign` do
    report = classify_new_customers(workspace)
    written = write_run(db, workspace, run.run_dir)

    assert report.applied and report.new_users > 0
    assert 0 < written.refreshed < written.users  # only the assignments that changed were sent …
    held = db.run_text("MATCH (u:User) RETURN u.user_id AS id, u.segment_id AS sid, u.segment_confidence AS c")
    file = pq.read_table(run.run_dir / "assignments.parquet").to_pandas().set_index("user_id")
    assert all(  # … and the graph holds the file
        (r["sid"], r["c"]) == (file.at[r["id"], "segment_id"], file.at[r["id"], "confidence"]) for r in held
    )
    rows = _stored_equal_scanned(db)
    users = db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"]
    assert sum(r["customers"] for r in rows) == users > sum(trained.values())
    segments = json.loads((run.run_dir / "segments.json").read_text())
    sizes = db.run_text("MATCH (p:CurrentSegmentation) MATCH (s:Segment {run_id: p.run_id}) RETURN s AS s")
    assert {r["s"]["segment_id"]: r["s"]["size"] for r in sizes} == {s["segment_id"]: s["size"] for s in segments}
    named = next(s for s in segments if s["segment_id"] != 0)
    assert f"{named['share']:.0%} of users" in named["description"]["en"]  # the sentence states the figures of now
